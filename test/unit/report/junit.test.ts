import { describe, expect, it } from 'vitest';
import { renderJUnit } from '../../../harness/report/junit.ts';
import { junitProblems } from './junit-schema.ts';
import { allPods, singleRun, withPod } from './synthetic-results.ts';
import { parseXml, type XmlElement } from './xml.ts';

const cases = (root: XmlElement): XmlElement[] => root.children.flatMap((suite) => suite.children.filter((c) => c.name === 'testcase'));
const find = (root: XmlElement, classname: string, namePrefix: string, suiteName: string): XmlElement => {
  const suite = root.children.find((s) => s.attributes.name === suiteName);
  const found = suite?.children.find((c) => c.attributes.classname === classname && c.attributes.name?.startsWith(namePrefix));
  if (!found) throw new Error(`no testcase ${classname} / ${namePrefix} in ${suiteName}`);
  return found;
};

describe('JUnit XML', () => {
  const results = singleRun();
  const root = parseXml(renderJUnit(results));

  it('is well-formed and valid against the documented JUnit schema', () => {
    expect(junitProblems(root)).toEqual([]);
  });

  it('has one testsuite per version and depth and one testcase per pod expectation', () => {
    expect(root.children.map((s) => s.attributes.name)).toEqual(['Kubernetes 1.33 (cluster)', 'Kubernetes 1.34 (cluster)', 'Kubernetes 1.37 (cluster)', 'Kubernetes 1.37 (plugin)']);
    expect(cases(root)).toHaveLength(allPods(results).length);
    expect(root.attributes.tests).toBe(String(allPods(results).length));
    expect(root.attributes.timestamp).toBe('2026-11-28T19:02:11');
    expect(root.attributes.time).toBe('1260.000');
  });

  it('names a testcase "<pod> (<sa>) pulls|is denied <image>" with the scenario as classname', () => {
    const names = cases(root).map((c) => `${c.attributes.classname} :: ${c.attributes.name}`);
    expect(names).toContain('sa-token-passthrough :: reader-a (team-a-puller) pulls 172.18.0.1:5443/team-a/app:pt-134c');
    expect(names).toContain('sa-token-passthrough :: reader-b (team-b-puller) is denied 172.18.0.1:5443/team-a/app:pt-134c');
  });

  it('reports a mismatch as a failure with expected and actual, and its evidence in system-out', () => {
    const testcase = find(root, 'annotation-scoped-exchange', 'scoped-wrong-repo', 'Kubernetes 1.34 (cluster)');
    const failure = testcase.children.find((c) => c.name === 'failure');
    expect(failure?.attributes.type).toBe('mismatch');
    expect(failure?.attributes.message).toBe('mismatch: expected denied, actual pulled (Running)');
    expect(failure?.text).toContain('role only names team-a');
    const out = testcase.children.find((c) => c.name === 'system-out')?.text ?? '';
    expect(out).toContain('token-service audit:');
    expect(out).toContain('granted=[repository:team-b/app:pull]');
    expect(out).toContain('Successfully pulled image');
  });

  it('reports an inconclusive pod as a failure, never a pass', () => {
    const failure = find(root, 'sa-token-passthrough', 'reader-b-own', 'Kubernetes 1.33 (cluster)').children.find((c) => c.name === 'failure');
    expect(failure?.attributes.type).toBe('inconclusive');
    expect(failure?.attributes.message).toContain('expected pulled, actual inconclusive (Timeout)');
  });

  it('skips not-applicable and not-checked-at-depth pods with the reason', () => {
    const na = find(root, 'node-audience-rbac', 'no-audience-grant', 'Kubernetes 1.33 (cluster)').children.find((c) => c.name === 'skipped');
    expect(na?.attributes.message).toMatch(/^not-applicable: node audience restriction/);
    const nc = find(root, 'cached-image-reverify', 'first-puller', 'Kubernetes 1.37 (plugin)').children.find((c) => c.name === 'skipped');
    expect(nc?.attributes.message).toMatch(/^not checked at depth: cached-image re-verification is kubelet behaviour/);
    const suite = root.children.find((s) => s.attributes.name === 'Kubernetes 1.37 (plugin)');
    expect(suite?.attributes.skipped).toBe('3');
  });

  it('carries service-account annotations as testcase properties and environment as suite properties', () => {
    const testcase = find(root, 'annotation-scoped-exchange', 'scoped-reader', 'Kubernetes 1.37 (cluster)');
    const props = testcase.children.find((c) => c.name === 'properties')?.children.map((p) => [p.attributes.name, p.attributes.value]);
    expect(props).toEqual([
      ['pullproof.dev/registry-role', 'team-a-read'],
      ['pullproof.dev/audience', 'pullproof-registry'],
    ]);
    const suiteProps = root.children[0]?.children.find((c) => c.name === 'properties')?.children.map((p) => `${p.attributes.name}=${p.attributes.value}`);
    expect(suiteProps).toContain('kindVersion=v0.33.0');
    expect(suiteProps).toContain('featureGate.KubeletEnsureSecretPulledImages=false');
  });

  it('escapes markup, quotes and control characters so any parser reads the text back', () => {
    const hostile = 'a <b> & "c" \'d\' ]]> \u001b[31mred\u001b[0m \u0000 tab\there\nline2';
    const changed = withPod(results, '1.34', 'scoped-wrong-repo', (p) => ({
      ...p,
      note: hostile,
      annotations: { 'x/<weird>': hostile },
      evidence: { ...p.evidence, kubeletLog: [hostile] },
    }));
    const xml = renderJUnit(changed);
    const reread = parseXml(xml);
    expect(junitProblems(reread)).toEqual([]);
    const testcase = find(reread, 'annotation-scoped-exchange', 'scoped-wrong-repo', 'Kubernetes 1.34 (cluster)');
    const shown = 'a <b> & "c" \'d\' ]]> \\x1b[31mred\\x1b[0m \\x00 tab\there\nline2';
    expect(testcase.children.find((c) => c.name === 'failure')?.text).toContain(`note: ${shown}`);
    expect(testcase.children.find((c) => c.name === 'properties')?.children[0]?.attributes).toEqual({ name: 'x/<weird>', value: shown });
    expect(testcase.children.find((c) => c.name === 'system-out')?.text).toContain(shown);
  });
});

describe('the JUnit schema check itself', () => {
  it('reports missing attributes, misplaced children and counts that disagree with the testcases', () => {
    const broken = parseXml(
      '<testsuites><testsuite name="s" tests="2" failures="0" errors="0"><testcase name="a"><system-out>x</system-out><failure message="m"/></testcase></testsuite></testsuites>',
    );
    expect(junitProblems(broken)).toEqual([
      'testsuites/testsuite[0]/testcase[0]: missing attribute classname',
      'testsuites/testsuite[0]/testcase[0]: <failure> is not allowed here (allowed in order: properties?, skipped|failure|error?, system-out?, system-err?)',
      'testsuites/testsuite[0]: tests="2" but 1 testcases say so',
      'testsuites/testsuite[0]: failures="0" but 1 testcases say so',
    ]);
  });

  it('rejects text that a real XML parser would reject', () => {
    expect(() => parseXml('<a>x & y</a>')).toThrow(/raw "&"/);
    expect(() => parseXml('<a>\u001b</a>')).toThrow(/forbidden character/);
    expect(() => parseXml('<a b="1" b="2"/>')).toThrow(/duplicate attribute/);
    expect(() => parseXml('<a><b></a>')).toThrow(/expected <\/b>/);
  });
});
