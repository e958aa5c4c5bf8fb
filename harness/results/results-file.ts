import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RESULTS_SCHEMA_VERSION, type RunResults } from './model.ts';

/**
 * `results.json`: the RunResults model as JSON, one file per run (or per CI shard). Readers check
 * `schemaVersion` first, then the shape, and name the first field that is wrong
 * (docs/results-schema.md documents every field).
 */

export const RESULTS_FILE_NAME = 'results.json';

export class ResultsFileError extends Error {
  /** The file (or `<input>` when parsing a string). */
  readonly source: string;
  /** JSON path of the offending field, e.g. `versions[0].scenarios[1].pods[2].outcome`; empty for the whole file. */
  readonly field: string;
  /** The offending value, rendered short. */
  readonly value: string;
  constructor(source: string, field: string, problem: string, value: unknown, options?: { cause?: unknown }) {
    const shown = showValue(value);
    super(
      `${source}: ${field ? `field ${field} ` : ''}${problem}${value === undefined ? '' : ` (got ${shown})`}: ` +
        `regenerate the file with this pullproof version, or fix it by hand as docs/results-schema.md describes`,
      options,
    );
    this.name = 'ResultsFileError';
    this.source = source;
    this.field = field;
    this.value = shown;
  }
}

function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Serialises results as the file stores them: 2-space JSON with a final newline. */
export function serializeResults(results: RunResults): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}

/** Parses and validates `results.json` text; `source` names the file in errors. */
export function parseResults(text: string, source = '<input>'): RunResults {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ResultsFileError(source, '', `is not JSON (${error instanceof Error ? error.message : String(error)})`, undefined, { cause: error });
  }
  validateResults(data, source);
  return data;
}

export async function readResults(file: string): Promise<RunResults> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ResultsFileError(file, '', `cannot be read (${error instanceof Error ? error.message : String(error)})`, undefined, { cause: error });
  }
  return parseResults(text, file);
}

/** Writes atomically (temp file + rename), so a reader never sees half a file. */
export async function writeResults(results: RunResults, file: string): Promise<void> {
  validateResults(results, file);
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, serializeResults(results), 'utf8');
  await rename(temp, file);
}

// ---- validation -------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

const DEPTHS = ['cluster', 'node', 'plugin'];
const OUTCOMES = ['match', 'mismatch', 'inconclusive', 'not-applicable', 'not-checked-at-depth'];
const VERDICTS = ['pulled', 'denied', 'inconclusive'];
const EXPECTATIONS = ['pulled', 'denied', 'vulnerable-if-gate-off'];

class Checker {
  readonly source: string;
  constructor(source: string) {
    this.source = source;
  }
  fail(field: string, problem: string, value: unknown): never {
    throw new ResultsFileError(this.source, field, problem, value);
  }
  object(value: unknown, field: string): Obj {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'must be an object', value);
    return value as Obj;
  }
  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.fail(field, 'must be an array', value);
    return value as unknown[];
  }
  string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.fail(field, 'must be a string', value);
    return value;
  }
  nonEmpty(value: unknown, field: string): string {
    const text = this.string(value, field);
    if (text.length === 0) this.fail(field, 'must not be empty', value);
    return text;
  }
  optionalString(value: unknown, field: string): void {
    if (value !== undefined) this.string(value, field);
  }
  number(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) this.fail(field, 'must be a non-negative number', value);
    return value;
  }
  optionalNumber(value: unknown, field: string): void {
    if (value !== undefined) this.number(value, field);
  }
  oneOf(value: unknown, field: string, allowed: readonly string[]): string {
    if (typeof value !== 'string' || !allowed.includes(value)) this.fail(field, `must be one of ${allowed.join(', ')}`, value);
    return value;
  }
  timestamp(value: unknown, field: string): void {
    const text = this.string(value, field);
    if (Number.isNaN(Date.parse(text))) this.fail(field, 'must be an RFC 3339 timestamp', value);
  }
  stringRecord(value: unknown, field: string): void {
    for (const [key, item] of Object.entries(this.object(value, field))) this.string(item, `${field}.${key}`);
  }
  stringArray(value: unknown, field: string): void {
    this.array(value, field).forEach((item, i) => this.string(item, `${field}[${i}]`));
  }
}

/** Throws ResultsFileError naming the first wrong field; narrows `data` to RunResults. */
export function validateResults(data: unknown, source = '<input>'): asserts data is RunResults {
  const c = new Checker(source);
  const run = c.object(data, '');
  // The schema version first: a newer file fails here with a clear message, not on some renamed field.
  if (run.schemaVersion !== RESULTS_SCHEMA_VERSION) {
    c.fail('schemaVersion', `must be ${RESULTS_SCHEMA_VERSION} (this pullproof reads results schema version ${RESULTS_SCHEMA_VERSION} only)`, run.schemaVersion);
  }
  c.nonEmpty(run.runId, 'runId');
  c.timestamp(run.startedAt, 'startedAt');
  c.timestamp(run.finishedAt, 'finishedAt');
  if (run.shard !== undefined) {
    const shard = c.object(run.shard, 'shard');
    const total = c.number(shard.total, 'shard.total');
    const index = c.number(shard.index, 'shard.index');
    if (!Number.isInteger(total) || total < 1) c.fail('shard.total', 'must be an integer >= 1', shard.total);
    if (!Number.isInteger(index) || index < 1 || index > total) c.fail('shard.index', `must be an integer from 1 to shard.total (${total})`, shard.index);
  }
  c.array(run.versions, 'versions').forEach((v, vi) => {
    const vf = `versions[${vi}]`;
    const version = c.object(v, vf);
    c.nonEmpty(version.kubernetes, `${vf}.kubernetes`);
    c.oneOf(version.depth, `${vf}.depth`, DEPTHS);
    const env = c.object(version.environment, `${vf}.environment`);
    for (const key of ['kindVersion', 'nodeImage', 'pluginVersion', 'containerdVersion']) c.optionalString(env[key], `${vf}.environment.${key}`);
    const gates = c.object(env.featureGates, `${vf}.environment.featureGates`);
    for (const [gate, on] of Object.entries(gates)) if (typeof on !== 'boolean') c.fail(`${vf}.environment.featureGates.${gate}`, 'must be true or false', on);
    c.array(version.scenarios, `${vf}.scenarios`).forEach((s, si) => {
      const sf = `${vf}.scenarios[${si}]`;
      const scenario = c.object(s, sf);
      c.nonEmpty(scenario.name, `${sf}.name`);
      c.string(scenario.summary, `${sf}.summary`);
      c.string(scenario.property, `${sf}.property`);
      c.number(scenario.durationMs, `${sf}.durationMs`);
      c.array(scenario.pods, `${sf}.pods`).forEach((p, pi) => validatePod(c, p, `${sf}.pods[${pi}]`));
    });
  });
}

function validatePod(c: Checker, value: unknown, pf: string): void {
  const pod = c.object(value, pf);
  c.nonEmpty(pod.pod, `${pf}.pod`);
  c.nonEmpty(pod.namespace, `${pf}.namespace`);
  c.nonEmpty(pod.serviceAccount, `${pf}.serviceAccount`);
  c.nonEmpty(pod.image, `${pf}.image`);
  const expected = c.object(pod.expected, `${pf}.expected`);
  c.oneOf(expected.kind, `${pf}.expected.kind`, EXPECTATIONS);
  c.optionalString(expected.reason, `${pf}.expected.reason`);
  const outcome = c.oneOf(pod.outcome, `${pf}.outcome`, OUTCOMES);
  if (pod.verdict !== undefined) {
    const verdict = c.object(pod.verdict, `${pf}.verdict`);
    c.oneOf(verdict.kind, `${pf}.verdict.kind`, VERDICTS);
    c.optionalString(verdict.reason, `${pf}.verdict.reason`);
    c.optionalString(verdict.message, `${pf}.verdict.message`);
  } else if (outcome === 'match' || outcome === 'mismatch') {
    // A match or mismatch is a comparison with something that happened: without a verdict it is a lie.
    c.fail(`${pf}.verdict`, `is required when outcome is ${outcome}`, undefined);
  }
  c.optionalString(pod.note, `${pf}.note`);
  c.optionalString(pod.rerun, `${pf}.rerun`);
  if (pod.fault !== undefined) {
    const fault = c.object(pod.fault, `${pf}.fault`);
    c.nonEmpty(fault.kind, `${pf}.fault.kind`);
    c.nonEmpty(fault.name, `${pf}.fault.name`);
    if (outcome !== 'inconclusive') c.fail(`${pf}.fault`, 'is only allowed on an inconclusive pod: a fault is no authorization decision', outcome);
  }
  c.optionalString(pod.startedAt, `${pf}.startedAt`);
  c.optionalNumber(pod.durationMs, `${pf}.durationMs`);
  c.stringRecord(pod.annotations, `${pf}.annotations`);
  const evidence = c.object(pod.evidence, `${pf}.evidence`);
  c.array(evidence.events, `${pf}.evidence.events`).forEach((e, ei) => {
    const ef = `${pf}.evidence.events[${ei}]`;
    const event = c.object(e, ef);
    c.string(event.type, `${ef}.type`);
    c.string(event.reason, `${ef}.reason`);
    c.string(event.message, `${ef}.message`);
    c.optionalString(event.time, `${ef}.time`);
    c.optionalNumber(event.count, `${ef}.count`);
  });
  c.stringArray(evidence.kubeletLog, `${pf}.evidence.kubeletLog`);
  c.stringArray(evidence.trace, `${pf}.evidence.trace`);
  c.array(evidence.audit, `${pf}.evidence.audit`).forEach((a, ai) => {
    const af = `${pf}.evidence.audit[${ai}]`;
    const entry = c.object(a, af);
    c.string(entry.time, `${af}.time`);
    c.string(entry.endpoint, `${af}.endpoint`);
    for (const key of ['subject', 'serviceAccountUid', 'pod', 'denyReason']) c.optionalString(entry[key], `${af}.${key}`);
    c.stringArray(entry.requestedScopes, `${af}.requestedScopes`);
    c.stringArray(entry.grantedScopes, `${af}.grantedScopes`);
  });
}
