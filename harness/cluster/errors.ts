/**
 * Errors of the cluster family. Each carries the facts as fields and a message that says what
 * failed, the value that caused it and what to do next (STYLE.md: errors are for the person at the
 * terminal).
 */

/** A cluster need (or a combination of needs) that cannot be turned into a valid configuration. */
export class ClusterConfigError extends Error {
  readonly field: string;
  readonly value: unknown;
  constructor(field: string, value: unknown, problem: string) {
    super(`cluster config: ${field} = ${JSON.stringify(value)}: ${problem}`);
    this.name = 'ClusterConfigError';
    this.field = field;
    this.value = value;
  }
}

/** A named lifecycle step failed; `cause` is the underlying error. */
export class ClusterStepError extends Error {
  readonly cluster: string;
  readonly step: string;
  /** Where `kind export logs` put the node logs, when it could run. */
  readonly logsDir: string | undefined;
  constructor(cluster: string, step: string, cause: unknown, logsDir?: string) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const logs = logsDir ? `; node logs exported to ${logsDir}` : '';
    super(`cluster ${cluster}: step "${step}" failed: ${detail}${logs}`, { cause });
    this.name = 'ClusterStepError';
    this.cluster = cluster;
    this.step = step;
    this.logsDir = logsDir;
  }
}

/** The caller's AbortSignal fired; everything this create made has been removed again. */
export class ClusterAbortedError extends Error {
  readonly cluster: string;
  readonly step: string;
  constructor(cluster: string, step: string, reason: unknown) {
    super(`cluster ${cluster}: aborted during step "${step}" (${reason instanceof Error ? reason.message : String(reason)}); what it had created was removed`);
    this.name = 'ClusterAbortedError';
    this.cluster = cluster;
    this.step = step;
  }
}

/** The node image is neither present locally nor obtainable. */
export class NodeImageMissingError extends Error {
  readonly image: string;
  constructor(image: string, detail: string) {
    super(`node image ${image} is not present and could not be pulled (${detail}): docker load it, or pass --node-image`);
    this.name = 'NodeImageMissingError';
    this.image = image;
  }
}

/** A host command (docker, kind, mmdebstrap) exited non-zero. */
export class HostCommandError extends Error {
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly output: string;
  constructor(command: string, exitCode: number | undefined, output: string, hint: string) {
    super(`${command} exited ${exitCode ?? 'without a code'}: ${output.trim().split('\n').slice(-8).join('\n')}\n${hint}`);
    this.name = 'HostCommandError';
    this.command = command;
    this.exitCode = exitCode;
    this.output = output;
  }
}

/** The kind binary is older than the Kubernetes minor needs (kubeadm API rendering). */
export class KindVersionError extends Error {
  readonly found: string;
  readonly required: string;
  readonly minor: string;
  constructor(found: string, required: string, minor: string) {
    super(`kind ${found} is too old for Kubernetes ${minor}: it needs kind ${required} or newer (older kind renders the wrong kubeadm API); install a newer kind from https://kind.sigs.k8s.io`);
    this.name = 'KindVersionError';
    this.found = found;
    this.required = required;
    this.minor = minor;
  }
}
