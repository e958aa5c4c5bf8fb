import { describe, expect, it } from 'vitest';
import { kubernetesVersion } from '../../../harness/cluster/versions.ts';
import { instantiate } from '../../../harness/runner/instantiate.ts';
import { failedScenario, requireEvidence } from '../../../harness/runner/pod-results.ts';
import grantedSaPulls from '../../../scenarios/granted-sa-pulls.ts';

const evidence = (audit: string, trace: string[] = []) => ({
  events: [],
  kubeletLog: [],
  trace,
  audit: [{ time: 't', endpoint: 'POST /token → 401 rejected', requestedScopes: [], grantedScopes: [], denyReason: audit }],
});

describe('evidence behind a verdict', () => {
  it('keeps a match whose evidence shows the expected cause', () => {
    expect(requireEvidence({ outcome: 'match' }, evidence('service-account token rejected (wrong_audience): …'), /wrong_audience/)).toEqual({ outcome: 'match' });
  });

  it('turns a match into a mismatch when the evidence shows another cause', () => {
    const result = requireEvidence({ outcome: 'match' }, evidence('service-account token rejected (expired): …'), /wrong_audience/);
    expect(result).toEqual({ outcome: 'mismatch', note: 'the verdict matches, but no evidence shows /wrong_audience/: it may have another cause' });
  });

  it('searches the runner trace too, and leaves mismatches and expectations without a pattern alone', () => {
    expect(requireEvidence({ outcome: 'match' }, evidence('', ['credentials dropped — kubelet: … as the password …']), 'as the password').outcome).toBe('match');
    expect(requireEvidence({ outcome: 'mismatch', note: 'x' }, evidence(''), /y/)).toEqual({ outcome: 'mismatch', note: 'x' });
    expect(requireEvidence({ outcome: 'match' }, evidence(''), undefined)).toEqual({ outcome: 'match' });
  });
});

describe('a scenario that could not run', () => {
  it('reports every pod inconclusive with the error, so the run fails visibly and still writes results', () => {
    const instance = instantiate(grantedSaPulls, { runId: 'r', kubernetes: kubernetesVersion('1.34'), registryHost: 'h:5000', tokenServiceUrl: 'http://x' });
    const result = failedScenario(instance, new Error('namespaces "team-a-1" already exists'));
    expect(result.pods.map((p) => [p.pod, p.outcome, p.verdict?.kind])).toEqual([
      ['granted', 'inconclusive', 'inconclusive'],
      ['default-sa', 'inconclusive', 'inconclusive'],
    ]);
    expect(result.pods[0]?.note).toBe('the scenario could not run: namespaces "team-a-1" already exists');
  });
});
