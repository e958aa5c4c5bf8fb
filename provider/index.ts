/** pullproof's kubelet credential provider plugin and its packaging for kind nodes. */
export { buildProviderBundle, launcherScript, hostArch, ProviderBundleError } from './package/bundle.ts';
export type { BuildProviderBundleOptions, ProviderBundle, NodeArch } from './package/bundle.ts';
export { runPlugin } from './plugin/run.ts';
export type { PluginRun, PluginInput } from './plugin/run.ts';
export { parseOptions, USAGE } from './plugin/options.ts';
export type { PluginOptions, Mode } from './plugin/options.ts';
export { PluginError } from './plugin/errors.ts';
export type { PluginErrorKind } from './plugin/errors.ts';
