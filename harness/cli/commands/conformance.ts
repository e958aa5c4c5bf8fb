import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Option, InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_MINOR, SUPPORTED_MINORS } from '../../cluster/versions.ts';
import { LocalServiceAccountIssuer } from '../../identity/local-issuer.ts';
import { formatSequence, formatTrace, parseFeatureGates, PullSecretError, runConformance, runPullSequence, type ConformanceResult, type PullSecretInput, type SequencePull } from '../../conformance/index.ts';
import { CredentialProviderConfigError } from '../../conformance/config.ts';
import { PluginRegistrationError } from '../../conformance/exec-plugin.ts';
import { defaultContainerdAddress } from '../../conformance/containerd-pull.ts';
import { parseGoDuration } from '../../conformance/go/duration.ts';

interface ConformanceFlags {
  config: string;
  binDir: string;
  image: string;
  k8s: string;
  featureGates?: string;
  namespace: string;
  podName?: string;
  podUid?: string;
  serviceAccount?: string;
  serviceAccountUid?: string;
  annotation: Record<string, string>;
  nodeName?: string;
  nodeUid?: string;
  issuer: string;
  jwksOut?: string;
  serveDiscovery?: string;
  tokenExpiration: number;
  timeout: number;
  pull?: boolean;
  containerdAddress: string;
  containerdNamespace?: string;
  plainHttp?: boolean;
  hostsDir?: string;
  keepImage?: boolean;
  expect?: 'pulled' | 'denied' | 'credentials' | 'no-credentials';
  json?: boolean;
  then: ThenSpec[];
  pullSecret: string[];
  nodeDockerConfig?: string;
}

/** `--pull-secret <file>`: a .dockerconfigjson file; the secret is named after the file, in the pod's namespace. */
async function readPullSecrets(files: readonly string[], namespace: string): Promise<PullSecretInput[]> {
  return Promise.all(files.map(async (file) => ({ name: basename(file).replace(/\.json$/, ''), namespace, data: await readFile(file, 'utf8') })));
}

/** One `--then` pull: fields not given are inherited from the first pull (pod name: pod-<n>). */
interface ThenSpec {
  readonly image?: string;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly pod?: string;
  readonly after?: number;
  readonly annotations?: Record<string, string>;
}

const THEN_KEYS = ['image', 'namespace', 'serviceAccount', 'pod', 'after', 'annotation'];

function collectThen(value: string, previous: ThenSpec[]): ThenSpec[] {
  const spec: { -readonly [K in keyof ThenSpec]: ThenSpec[K] } = {};
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq) : '';
    const v = part.slice(eq + 1);
    if (key === 'image' || key === 'namespace' || key === 'serviceAccount' || key === 'pod') spec[key] = v;
    else if (key === 'after') spec.after = goDurationMsAllowZero(v);
    else if (key === 'annotation') spec.annotations = collectAnnotation(v, spec.annotations ?? {});
    else throw new InvalidArgumentError(`--then ${JSON.stringify(value)}: ${JSON.stringify(part)} is not key=value with key one of ${THEN_KEYS.join(', ')} (e.g. image=r.io/team-b/app:v1,serviceAccount=deployer,after=2m)`);
  }
  return [...previous, spec];
}

function goDurationMsAllowZero(value: string): number {
  try {
    const ns = parseGoDuration(value);
    if (ns < 0) throw new InvalidArgumentError('must not be negative');
    return ns / 1e6;
  } catch (error) {
    throw new InvalidArgumentError(`after=${value}: ${(error as Error).message} (e.g. 30s, 2m)`);
  }
}

function collectAnnotation(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`annotation ${JSON.stringify(value)} must be key=value`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a positive integer`);
  return n;
}

function goDurationMs(value: string): number {
  try {
    const ns = parseGoDuration(value);
    if (ns <= 0) throw new InvalidArgumentError('must be positive');
    return ns / 1e6;
  } catch (error) {
    throw new InvalidArgumentError(`${JSON.stringify(value)}: ${(error as Error).message} (e.g. 1m, 30s)`);
  }
}

function outcome(result: ConformanceResult): 'pulled' | 'denied' | 'credentials' | 'no-credentials' {
  if (result.pull) return result.pull.outcome;
  return result.credentials.length > 0 ? 'credentials' : 'no-credentials';
}

async function action(flags: ConformanceFlags): Promise<void> {
  const issuerUrl = flags.serveDiscovery && flags.issuer === DEFAULT_ISSUER ? `http://${flags.serveDiscovery}` : flags.issuer;
  const issuer = await LocalServiceAccountIssuer.create({ issuer: issuerUrl });
  if (flags.jwksOut) await writeFile(flags.jwksOut, `${JSON.stringify(issuer.jwks(), null, 2)}\n`);
  let discovery: { close(): Promise<void> } | undefined;
  if (flags.serveDiscovery) {
    const [host, port] = flags.serveDiscovery.split(':');
    discovery = await issuer.serveDiscovery({ host: host || '127.0.0.1', port: Number(port ?? 0) });
  }
  try {
    // What the kubelet is, shared by a single pull and a sequence of pulls.
    const kubelet = {
      config: flags.config,
      binDir: flags.binDir,
      kubernetes: flags.k8s,
      ...(flags.featureGates ? { featureGates: parseFeatureGates(flags.featureGates) } : {}),
      ...(flags.nodeName ? { node: { name: flags.nodeName, uid: flags.nodeUid ?? flags.nodeName } } : {}),
      tokenSource: issuer,
      tokenExpirationSeconds: flags.tokenExpiration,
      timeoutMs: flags.timeout,
      pullSecrets: await readPullSecrets(flags.pullSecret, flags.namespace),
      nodeDockerConfig: flags.nodeDockerConfig,
    };
    if (flags.then.length > 0) {
      if (flags.pull) throw new InvalidArgumentError('--then (a pull sequence) answers which credentials kubelet would use; it does not pull: drop --pull');
      const first: SequencePull = { image: flags.image, namespace: flags.namespace, serviceAccount: flags.serviceAccount ?? '', podName: flags.podName ?? 'pod-1', serviceAccountAnnotations: flags.annotation, atMs: 0 };
      const pulls: SequencePull[] = [first];
      for (const [i, t] of flags.then.entries()) {
        const prev = pulls.at(-1) ?? first;
        pulls.push({
          image: t.image ?? first.image,
          namespace: t.namespace ?? first.namespace,
          serviceAccount: t.serviceAccount ?? first.serviceAccount,
          podName: t.pod ?? `pod-${i + 2}`,
          serviceAccountAnnotations: t.annotations ?? first.serviceAccountAnnotations,
          atMs: prev.atMs + (t.after ?? 0),
        });
      }
      const steps = await runPullSequence({ ...kubelet, pulls });
      process.stdout.write(flags.json ? `${JSON.stringify({ pulls: steps }, null, 2)}\n` : formatSequence(steps));
      return;
    }
    const result = await runConformance({
      ...kubelet,
      image: flags.image,
      pod: {
        namespace: flags.namespace,
        ...(flags.podName ? { podName: flags.podName } : {}),
        ...(flags.podUid ? { podUid: flags.podUid } : {}),
        serviceAccountName: flags.serviceAccount ?? '',
        ...(flags.serviceAccountUid ? { serviceAccountUid: flags.serviceAccountUid } : {}),
        serviceAccountAnnotations: flags.annotation,
      },
      pull: flags.pull
        ? {
            address: flags.containerdAddress,
            ...(flags.containerdNamespace ? { namespace: flags.containerdNamespace } : {}),
            plainHttp: flags.plainHttp ?? false,
            ...(flags.hostsDir ? { hostsDir: flags.hostsDir } : {}),
            keep: flags.keepImage ?? false,
          }
        : false,
    });
    process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatTrace(result));
    const got = outcome(result);
    if (flags.expect) {
      if (got !== flags.expect) {
        process.stderr.write(`pullproof conformance: expected ${flags.expect}, got ${got}\n`);
        process.exitCode = 1;
      }
    } else if (got === 'denied') process.exitCode = 3;
  } catch (error) {
    // kubelet would not start (config) or not register the plugin: print kubelet's own words.
    if (error instanceof CredentialProviderConfigError || error instanceof PluginRegistrationError) {
      process.stderr.write(`kubelet ${flags.k8s} would refuse to start:\n  ${error.kubeletMessage}\n  (${error.message.slice(error.kubeletMessage.length).replace(/^ \(|\)$/g, '')})\n`);
      process.exitCode = 4;
      return;
    }
    if (error instanceof PullSecretError) {
      process.stderr.write(`kubelet ${flags.k8s} would fail the image pull:\n  ${error.kubeletMessage}\n  (${error.message})\n`);
      process.exitCode = 3;
      return;
    }
    throw error;
  } finally {
    await discovery?.close();
  }
}

const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export function registerConformance(program: Command): void {
  program
    .command('conformance')
    .description(
      'run a credential provider plugin exactly as kubelet would for one image pull: validate the CredentialProviderConfig with kubelet\'s rules and messages, ' +
        'select providers by matchImages, apply the service-account rules, mint a kube-apiserver-shaped token, exec the plugin, check its response, ' +
        'compute the cache key, and optionally pull through containerd with the credentials. Prints a trace (tokens and passwords redacted).',
    )
    .requiredOption('--config <path>', 'CredentialProviderConfig file or directory (kubelet --image-credential-provider-config)')
    .requiredOption('--bin-dir <dir>', 'directory holding the plugin executables (kubelet --image-credential-provider-bin-dir)')
    .requiredOption('--image <ref>', 'image being pulled, e.g. 127.0.0.1:5000/team-a/app:v1')
    .addOption(new Option('--k8s <minor>', 'Kubernetes minor whose kubelet rules apply').choices(SUPPORTED_MINORS).default(DEFAULT_MINOR))
    .option('--feature-gates <gates>', 'kubelet feature gates, e.g. KubeletServiceAccountTokenForCredentialProviders=true (default: the minor\'s default)')
    .option('--namespace <ns>', 'pod namespace', 'default')
    .option('--pod-name <name>', 'pod name (bound into the token)')
    .option('--pod-uid <uid>', 'pod UID (default: random)')
    .option('--service-account <name>', 'pod service account name; omit for a pod without one')
    .option('--service-account-uid <uid>', 'service account UID (default: random)')
    .option('--annotation <key=value>', 'service account annotation (repeatable); kubelet forwards only keys listed in tokenAttributes', collectAnnotation, {})
    .option('--node-name <name>', 'node name to bind into the token')
    .option('--node-uid <uid>', 'node UID to bind into the token (default: the node name)')
    .option('--issuer <url>', 'issuer (iss) of the minted service-account token', DEFAULT_ISSUER)
    .option('--jwks-out <file>', 'write the issuer\'s JWKS here, for a token service to trust')
    .option('--serve-discovery <host:port>', 'serve OIDC discovery + JWKS for the issuer during the run (issuer defaults to http://<host:port>)')
    .option('--token-expiration <seconds>', 'token lifetime (kubelet leaves TokenRequest expirationSeconds unset: 3600)', positiveInt, 3600)
    .addOption(new Option('--timeout <duration>', 'plugin exec timeout, Go duration (kubelet: a fixed 1m)').argParser(goDurationMs).default(60_000, '1m'))
    .option('--pull', 'pull the image through containerd (ctr) with the credentials kubelet would use')
    .option('--containerd-address <socket>', 'containerd socket for --pull (default: $PULLPROOF_CONTAINERD_ADDRESS, else the first of /run/containerd/containerd.sock, /run/docker/containerd/containerd.sock that exists)', defaultContainerdAddress())
    .option('--containerd-namespace <ns>', 'containerd namespace for --pull (default: a fresh pullproof-conformance-<hex>, removed afterwards)')
    .option('--plain-http', 'registry speaks plain HTTP (ctr --plain-http)')
    .option('--hosts-dir <dir>', 'containerd hosts directory (certs.d layout) for --pull')
    .option('--keep-image', 'keep the pulled image and containerd namespace')
    .option('--pull-secret <file>', "a .dockerconfigjson file used as one of the pod's imagePullSecrets (repeatable); kubelet tries these before the node config.json and the providers", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--node-docker-config <path>', "the node's Docker config.json kubelet finds (e.g. /var/lib/kubelet/config.json); its credentials come after pull secrets, before providers")
    .addOption(new Option('--expect <outcome>', 'exit 0 only if the outcome matches (else 1)').choices(['pulled', 'denied', 'credentials', 'no-credentials']))
    .option('--json', 'print the typed result as JSON instead of the trace (no secrets in it)')
    .option(
      '--then <pull>',
      'another pull on the same kubelet after the first (repeatable): comma-separated image=, namespace=, serviceAccount=, pod=, after=<Go duration>, annotation=<k>=<v>; ' +
        'unset fields come from the first pull. Prints, per pull, the repository kubelet looks up and whether each provider is executed or served from its cache, and whose credential it was',
      collectThen,
      [],
    )
    .addHelpText(
      'after',
      '\nExit status: 0 done (pulled, when --pull); 3 pull denied; 4 kubelet would reject the config or plugin dir; 1 --expect not met; 2 usage or internal error.\n' +
        'Example:\n  npx pullproof conformance --config fixtures/provider-configs/v1.34-exchange.yaml --bin-dir .cache/provider/bin \\\n' +
        '    --image 127.0.0.1:5000/team-a/app:v1 --k8s 1.34 --namespace team-a --service-account builder --annotation pullproof.dev/role=team-a-pull --pull --plain-http\n' +
        'A pull sequence (cache decisions, no pull):\n  npx pullproof conformance --config cfg.yaml --bin-dir bin --image r.io/team-a/app:v1 --namespace team-a --service-account builder \\\n' +
        '    --then image=r.io/team-a/tools:v2,after=1m --then pod=other,after=1m',
    )
    .action(action);
}
