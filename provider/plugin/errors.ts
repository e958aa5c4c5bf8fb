/**
 * Every way the plugin refuses to answer. kubelet logs our stderr next to the exec error, so the
 * message is the one line a node operator reads: what failed, the offending value (never the
 * token), and what to do.
 */
export type PluginErrorKind = 'usage' | 'request' | 'token' | 'exchange' | 'tls' | 'timeout';

export class PluginError extends Error {
  readonly kind: PluginErrorKind;
  /** 2: the plugin's own configuration (args/env) is wrong; 1: this request could not be served. */
  readonly exitCode: 1 | 2;
  constructor(kind: PluginErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PluginError';
    this.kind = kind;
    this.exitCode = kind === 'usage' ? 2 : 1;
  }
}
