import { goQuote } from '../../harness/conformance/go/quote.ts';

/**
 * containerd's `ctr` and its CRI plugin share the pull code but word its failure differently.
 * - Both pull through the client's `fetch`, which wraps a resolver error as
 *   `failed to resolve reference %q: %w` (containerd client pull.go `(*Client).fetch`).
 * - `ctr images pull` prints that error with the CLI prefix `ctr: ` (urfave/cli).
 * - The CRI plugin wraps every `client.Pull` error once more as
 *   `failed to pull and unpack image %q: %w`, with ref = ParseDockerRef(image).String()
 *   (containerd pkg/cri/server/image_pull.go PullImage, 1.6/1.7).
 * - kubelet's CRI client strips `rpc error: code = Unknown desc = ` (k/k
 *   staging/src/k8s.io/cri-client/pkg/remote_image.go); other gRPC codes keep the prefix. CRI
 *   errors reach gRPC through errdefs.ToGRPC, which maps errdefs.ErrNotFound to NotFound; a
 *   resolver "not found" (containerd remotes/docker/resolver.go `%v: %w` with ErrNotFound) is the
 *   only case mapped to a non-Unknown code here.
 * Only the resolve step is mapped: that wrapping is cited above for both sides. Any other ctr
 * message (layer fetch, unpack) is kept as ctr printed it, because ctr's later steps are not the
 * CRI plugin's code.
 */

const RESOLVE_PREFIX = 'failed to resolve reference ';

/** The error text kubelet would see from the CRI plugin for one failed pull, given ctr's message. */
export function criPullError(ref: string, ctrMessage: string): string {
  const message = ctrMessage.replace(/^ctr: /, '').trim();
  if (!message.startsWith(RESOLVE_PREFIX)) return message;
  const wrapped = `failed to pull and unpack image ${goQuote(ref)}: ${message}`;
  return message.endsWith(': not found') ? `rpc error: code = NotFound desc = ${wrapped}` : wrapped;
}

/**
 * apimachinery util/errors Aggregate.Error(): one error as-is, several de-duplicated and
 * joined `[a, b]` — kubelet's PullImage aggregates the failure of each credential it tried
 * (pkg/kubelet/kuberuntime/kuberuntime_image.go).
 */
export function aggregateErrors(messages: readonly string[]): string {
  if (messages.length === 0) return '';
  if (messages.length === 1) return messages[0] ?? '';
  const seen = [...new Set(messages)];
  return seen.length === 1 ? (seen[0] ?? '') : `[${seen.join(', ')}]`;
}
