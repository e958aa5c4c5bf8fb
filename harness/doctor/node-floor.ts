import { readFileSync } from 'node:fs';

/**
 * The oldest Node that runs pullproof, read from the one place it is written: package.json
 * `engines.node` (">=X.Y.Z"). scripts/ensure-node.sh reads the same field, and doctor checks against
 * it. 22.18.0 is the first Node 22 that strips TypeScript types without a flag (nodejs/node#56350
 * "module: unflag --experimental-strip-types", 23.6.0, backported to 22.18.0): `node bin/pullproof.mjs` and `node bench/run.ts` load `.ts` directly.
 */
export function nodeFloor(packageJson: string = readFileSync(new URL('../../package.json', import.meta.url), 'utf8')): string {
  const range = (JSON.parse(packageJson) as { engines?: { node?: unknown } }).engines?.node;
  const floor = typeof range === 'string' ? /^>=(\d+\.\d+\.\d+)$/.exec(range)?.[1] : undefined;
  if (!floor) throw new Error(`package.json engines.node is ${JSON.stringify(range)}; write it as ">=X.Y.Z" (scripts/ensure-node.sh and doctor read the floor from there)`);
  return floor;
}

export const NODE_FLOOR: string = nodeFloor();
