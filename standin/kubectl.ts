import { readFile } from 'node:fs/promises';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';

/**
 * The stand-in kubectl: exactly the calls kind makes during `kind create cluster`, performed against
 * the stand-in API server, and a refusal (exit 1, naming the call) for anything else. kind's calls
 * (reference/kind-standin-node.md §1, kind pkg/cluster/internal/create/actions/*):
 *   kubectl --kubeconfig=/etc/kubernetes/admin.conf taint nodes --all node-role.kubernetes.io/control-plane-
 *   kubectl --kubeconfig=/etc/kubernetes/admin.conf label nodes --all node.kubernetes.io/exclude-from-external-load-balancers-
 * (kind's `create -f -` / `apply -f -` of the CNI and StorageClass manifests are kept, not applied, by
 * the kubectl wrapper in fixtures/standin-node-layer without starting Node.)
 *   kubectl --kubeconfig=/etc/kubernetes/admin.conf get nodes --selector=node-role.kubernetes.io/control-plane
 *           -o=jsonpath='{.items..status.conditions[-1:].status}'        (waitforready/waitforready.go)
 */

export interface KubectlInvocation {
  readonly kubeconfig?: string;
  readonly selector?: string;
  readonly output?: string;
  readonly file?: string;
  readonly all: boolean;
  readonly words: readonly string[];
}

export class KubectlNotEmulatedError extends Error {
  constructor(argv: readonly string[], detail: string) {
    super(`stand-in kubectl: \`kubectl ${argv.join(' ')}\` is not emulated (${detail}); the stand-in implements only the calls kind makes`);
    this.name = 'KubectlNotEmulatedError';
  }
}

/** Splits kubectl's argv into the flags kind uses and the remaining words. */
export function parseKubectlArgs(argv: readonly string[]): KubectlInvocation {
  const words: string[] = [];
  let kubeconfig: string | undefined;
  let selector: string | undefined;
  let output: string | undefined;
  let file: string | undefined;
  let all = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.startsWith('--') || arg.startsWith('-o') || arg === '-f' ? splitFlag(arg) : [arg, undefined];
    const value = (): string => inline ?? argv[++i] ?? '';
    if (flag === '--kubeconfig') kubeconfig = value();
    else if (flag === '--selector' || flag === '-l') selector = value();
    else if (flag === '-o' || flag === '--output') output = value();
    else if (flag === '-f' || flag === '--filename') file = value();
    else if (flag === '--all') all = true;
    else words.push(arg);
  }
  return { all, words, ...(kubeconfig ? { kubeconfig } : {}), ...(selector ? { selector } : {}), ...(output ? { output } : {}), ...(file ? { file } : {}) };
}

function splitFlag(arg: string): [string, string | undefined] {
  if (arg.startsWith('-o') && !arg.startsWith('--')) return ['-o', arg.length > 2 ? arg.slice(arg[2] === '=' ? 3 : 2) : undefined];
  const eq = arg.indexOf('=');
  return eq < 0 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
}

/**
 * kind's readiness query. kubectl prints text outside `{…}` verbatim, so kind's literal single
 * quotes come back around the statuses (`'True True'`), which kind then splits on white space.
 */
export function renderReadinessJsonpath(template: string, nodes: readonly V1Node[]): string {
  const match = /^(.*)\{\.items\.\.status\.conditions\[-1:\]\.status\}(.*)$/.exec(template);
  if (!match) throw new Error(`jsonpath ${template} is not the one kind's waitforready uses`);
  const statuses = nodes.flatMap((n) => {
    const last = n.status?.conditions?.at(-1);
    return last ? [last.status] : [];
  });
  return `${match[1] ?? ''}${statuses.join(' ')}${match[2] ?? ''}`;
}

/** Removes (`key-`) a taint or label from every node, as `kubectl taint|label nodes --all key-` does. */
async function removeFromAllNodes(core: CoreV1Api, what: 'taint' | 'label', spec: string): Promise<string[]> {
  if (!spec.endsWith('-')) throw new Error(`only removal (key-) is emulated, got ${spec}`);
  const key = spec.slice(0, -1).split(':')[0] ?? '';
  const out: string[] = [];
  for (const node of (await core.listNode()).items) {
    const name = node.metadata?.name ?? '';
    if (what === 'taint') {
      const taints = (node.spec?.taints ?? []).filter((t) => t.key !== key);
      await core.patchNode({ name, body: { spec: { taints } } }, mergePatch());
      out.push(`node/${name} untainted`);
    } else {
      await core.patchNode({ name, body: { metadata: { labels: { [key]: null } } } }, mergePatch());
      out.push(`node/${name} unlabeled`);
    }
  }
  return out;
}

/**
 * A JSON merge patch (RFC 7386): the taint list is replaced whole and a null label is removed.
 * (kubectl computes a strategic merge patch with delete directives to the same effect; client-node
 * defaults PATCH to JSON Patch, so the type is stated.)
 */
const mergePatch = (): ReturnType<typeof setHeaderOptions> => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export async function runKubectl(argv: readonly string[]): Promise<number> {
  const call = parseKubectlArgs(argv);
  const [verb, resource, ...rest] = call.words;
  if (verb === 'version') {
    process.stdout.write(`Client Version: ${(await readFile('/kind/version', 'utf8')).trim()} (stand-in)\n`);
    return 0;
  }
  const kc = new KubeConfig();
  kc.loadFromFile(call.kubeconfig ?? process.env.KUBECONFIG ?? '/etc/kubernetes/admin.conf');
  const core = kc.makeApiClient(CoreV1Api);
  if ((verb === 'taint' || verb === 'label') && resource === 'nodes' && call.all && rest.length === 1) {
    for (const line of await removeFromAllNodes(core, verb, rest[0] ?? '')) process.stdout.write(`${line}\n`);
    return 0;
  }
  if (verb === 'get' && resource === 'nodes' && call.output?.startsWith('jsonpath=')) {
    const nodes = await core.listNode(call.selector ? { labelSelector: call.selector } : {});
    process.stdout.write(renderReadinessJsonpath(call.output.slice('jsonpath='.length), nodes.items));
    return 0;
  }
  throw new KubectlNotEmulatedError(argv, 'unknown verb, resource or flags');
}
