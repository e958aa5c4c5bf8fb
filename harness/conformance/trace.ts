import { formatGoDuration } from './go/duration.ts';
import type { ConformanceResult, CredentialEntry, ProviderTrace } from './runner.ts';
import type { SequenceStep } from './sequence.ts';

/** Human-readable trace of a conformance run. Contains no token or password (the result holds none). */

function planLine(t: ProviderTrace): string {
  if (!t.plan.invoke) {
    const why = { 'image-not-matched': 'not consulted: image does not match', 'service-account-required': 'not invoked: pod has no service account and requireServiceAccount is true', 'required-annotation-missing': 'not invoked: required service-account annotation missing' }[t.plan.reason];
    return `${why}\n      kubelet: ${t.plan.kubeletLog}`;
  }
  if (!t.plan.serviceAccountMode) return 'invoked (no service-account token: provider has no tokenAttributes or the gate is off)';
  return t.plan.audience === undefined ? 'invoked without a token (requireServiceAccount: false, pod has no service account)' : `invoked with a service-account token for audience ${JSON.stringify(t.plan.audience)}, annotations ${JSON.stringify(t.plan.annotations)}`;
}

const ms = (n: number): string => formatGoDuration(n * 1e6);

/** Where a credential came from, as the trace names it (providers keep their old one-word form). */
function credentialOrigin(c: CredentialEntry): string {
  if (c.source === 'provider') return c.from;
  return c.source === 'pull-secret' ? `pull secret ${c.from}` : `node config ${c.from}`;
}

/** kubelet's cache decision for one provider, one line. */
export function cacheDecisionLine(t: ProviderTrace): string | undefined {
  const c = t.cache;
  if (!c) return undefined;
  const purged = c.purged > 0 ? ` (15-minute purge dropped ${c.purged} expired entr${c.purged === 1 ? 'y' : 'ies'})` : '';
  if (c.decision === 'hit' && c.servedFrom) {
    const o = c.servedFrom.origin;
    const who = o.serviceAccount ? `${o.namespace}/${o.serviceAccount}` : '(no service account)';
    return `cache HIT under ${c.servedFrom.cacheKeyType} key ${JSON.stringify(c.servedFrom.baseKey)}: plugin not executed; credential made by pull #${o.pull + 1} for ${who} pod ${o.podName} image ${o.image}, expires in ${ms(c.servedFrom.expiresInMs)}${purged}`;
  }
  const tried = c.tried.map((x) => `${JSON.stringify(x.baseKey)} ${x.result}`).join(', ');
  const stored = c.stored ? (c.stored.expiredOnArrival ? `; response stored under ${c.stored.cacheKeyType} key ${JSON.stringify(c.stored.baseKey)} already expired (negative cacheDuration): never served` : `; response cached under ${c.stored.cacheKeyType} key ${JSON.stringify(c.stored.baseKey)}`) : '';
  return `cache miss (${tried}): plugin executed${stored}${purged}`;
}

function providerBlock(t: ProviderTrace): string[] {
  const lines = [`  provider ${t.name} (${t.apiVersion})`, `    ${planLine(t)}`];
  const cacheLine = cacheDecisionLine(t);
  if (cacheLine) lines.push(`    ${cacheLine}`);
  if (t.tokenClaims) {
    const c = t.tokenClaims;
    lines.push(`    token: sub=${String(c.sub)} aud=${JSON.stringify(c.aud)} exp=${String(c.exp)} (value redacted)`);
  }
  if (t.request) lines.push(`    request (stdin): ${t.request.trim()}`);
  if (t.execution) {
    const e = t.execution;
    lines.push(`    exec ${e.path}${e.args.length ? ` ${e.args.join(' ')}` : ''}: ${e.runError ?? 'exit 0'} in ${e.durationMs.toFixed(0)} ms`);
    if (e.stderr.trim()) lines.push(`    stderr: ${e.stderr.trim().split('\n').join('\n            ')}`);
  }
  if (t.failure) lines.push(`    credentials dropped — kubelet: ${t.failure.kubeletLog.trim()}`, `      why: ${t.failure.detail}`);
  if (t.response) {
    const r = t.response;
    lines.push(`    response: cacheKeyType=${JSON.stringify(r.cacheKeyType)} cacheDuration=${r.cacheDuration ?? '(unset)'}`);
    for (const a of r.auth) lines.push(`      auth ${JSON.stringify(a.key)}: username=${JSON.stringify(a.username)} password=${a.password}`);
  }
  if (t.verdict) {
    if (!t.verdict.accepted) lines.push(`    credentials dropped — kubelet: ${t.verdict.kubeletLog}`);
    else {
      const c = t.verdict.cache;
      lines.push(`    accepted: ${t.contributed} auth entr${t.contributed === 1 ? 'y' : 'ies'}`);
      lines.push(c.cached ? `    cache: ${c.durationText} under key [${c.keyParts.join(', ')}]` : `    cache: not cached (duration 0); key would be [${c.keyParts.join(', ')}]`);
      lines.push(`    cache key bytes: ${c.keyHex}`);
    }
  }
  return lines;
}

export function formatTrace(result: ConformanceResult): string {
  const r = result.kubernetes;
  const lines = [
    `kubelet ${r.minor} rules (KubeletServiceAccountTokenForCredentialProviders=${r.saTokenForCredentialProviders}, cacheType ${r.cacheTypeField ? 'required' : 'absent'})`,
    `config: ${result.configSources.map((s) => `${s.path} (${s.apiVersion})`).join(', ')} — valid, hash ${result.configHash}`,
    `image: ${result.image}`,
    `repository kubelet looks up: ${result.repository}${result.repository === result.image ? '' : ' (ParseImageName: tag/digest stripped, Docker Hub names expanded)'}`,
    `pod: ${result.pod.namespace}/${result.pod.podName} serviceAccount=${result.pod.serviceAccountName || '(none)'}`,
    'providers:',
    ...result.providers.flatMap(providerBlock),
  ];
  if (result.nodeConfig) {
    const n = result.nodeConfig;
    const status = { read: `read, ${n.entries} auth entr${n.entries === 1 ? 'y' : 'ies'}`, missing: 'not present: the node keyring is empty', ignored: `ignored — ${n.detail ?? ''}: the node keyring is empty` }[n.status];
    lines.push(`node config.json: ${n.path} (${status})`);
  }
  if (result.credentials.length > 0) {
    const order = result.credentials.some((c) => c.source !== 'provider') ? ' (pull secrets, then node config.json, then providers)' : '';
    lines.push(`decision: kubelet pulls with ${result.credentials.length} credential(s), in order${order}:`);
    for (const c of result.credentials) lines.push(`  ${credentialOrigin(c)} key ${JSON.stringify(c.key)} username=${JSON.stringify(c.username)}`);
  } else {
    lines.push('decision: no credentials — kubelet pulls without credentials ("Pulling image without credentials")');
  }
  if (result.pull) {
    for (const a of result.pull.attempts) lines.push(`pull attempt (${a.credentialSource ?? 'anonymous'}): ${a.ok ? 'ok' : a.message}`);
    lines.push(`pull: ${result.pull.outcome.toUpperCase()}${result.pull.outcome === 'denied' ? ` — containerd: ${result.pull.message}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** One block per pull: repository, each consulted provider's exec-or-cache decision, whose credential. */
export function formatSequence(steps: readonly SequenceStep[]): string {
  const lines: string[] = [];
  for (const step of steps) {
    const p = step.pull;
    lines.push(`#${step.index + 1} t=${ms(step.atMs)} ${p.namespace}/${p.podName} serviceAccount=${p.serviceAccount || '(none)'} image ${p.image} → ${step.result.repository}`);
    for (const t of step.result.providers) {
      if (!t.plan.invoke) {
        if (t.plan.reason !== 'image-not-matched') lines.push(`   ${t.name}: not invoked — ${t.plan.kubeletLog}`);
        continue;
      }
      if (t.failure && !t.cache) lines.push(`   ${t.name}: ${t.failure.kubeletLog}`);
      const line = cacheDecisionLine(t);
      if (line) lines.push(`   ${t.name}: ${line}`);
      if (t.cache?.decision === 'miss' && t.verdict && !t.verdict.accepted) lines.push(`   ${t.name}: credentials dropped — ${t.verdict.kubeletLog}`);
      if (t.cache?.decision === 'miss' && t.failure) lines.push(`   ${t.name}: ${t.failure.kubeletLog}`);
    }
    for (const r of step.reuse) {
      const o = r.origin;
      lines.push(`   ⚠ ${r.provider}: served a credential made for ${o.serviceAccount ? `${o.namespace}/${o.serviceAccount}` : 'a pull without service account'} pod ${o.podName} image ${o.image} — across ${r.across.join(', ')}`);
    }
    const creds = step.result.credentials;
    lines.push(`   keyring: ${creds.length > 0 ? creds.map((c) => `${credentialOrigin(c)} ${JSON.stringify(c.key)} user=${JSON.stringify(c.username)}`).join('; ') : 'no credentials (anonymous pull)'}`);
  }
  return `${lines.join('\n')}\n`;
}
