import { $ as zx$, type ProcessOutput, type ProcessPromise, type Shell } from 'zx';
import type { Depth, Fault, PodResult, StepCommand, StepResult } from '../results/model.ts';
import type { KubeActions, NodeActions, StepContext, StepSpec } from '../scenario/types.ts';
import type { InstancePod, ScenarioInstance } from './instantiate.ts';
import { skipped } from './pod-results.ts';

/**
 * The pods and scripted steps of one scenario, in their `after` order (DESIGN.md decision 9; the
 * design card's scripted scenarios). Each item starts when the item it follows has finished:
 *   step  — runs its function with a StepContext whose every command is recorded (command, output,
 *           exit code); a throw or a non-zero `$` fails it;
 *   pod   — runs through the depth's runner.
 * What a step that did not complete does to what follows it (transitively), in this order:
 *   failed                       → later pods inconclusive under the step's fault (a failing step
 *                                  fails the scenario with its evidence);
 *   cannot act at this depth     → later pods *not checked at this depth* (never silently passed);
 *   blocked by an earlier one    → the same as that earlier one.
 */

const DEPTH_RANK: Readonly<Record<Depth, number>> = { plugin: 0, node: 1, cluster: 2 };
const OUTPUT_LINES = 40;

type Item = { readonly kind: 'pod'; readonly name: string; readonly after?: string; readonly pod: InstancePod } | { readonly kind: 'step'; readonly name: string; readonly after?: string; readonly step: StepSpec };

/** Why the items after a step cannot be judged. */
interface Block {
  readonly step: string;
  readonly kind: 'failed' | 'not-run-at-depth';
  readonly note: string;
  readonly commands: readonly StepCommand[];
}

export interface StepEnvironment {
  readonly depth: Depth;
  readonly kubeconfig?: string;
  readonly kube: KubeActions;
  readonly node: NodeActions;
  readonly registry: { readonly container: string; readonly host: string };
}

function tail(text: string): string {
  const lines = text.trimEnd().split('\n');
  return (lines.length > OUTPUT_LINES ? [`… ${lines.length - OUTPUT_LINES} earlier line(s)`, ...lines.slice(-OUTPUT_LINES)] : lines).join('\n');
}

function isOutput(value: unknown): value is ProcessOutput {
  return typeof value === 'object' && value !== null && 'exitCode' in value && 'stdout' in value && 'stderr' in value;
}

/** zx's `$`, recording every command it runs; `$({ … })` returns a recording shell again. */
function recordingShell(base: Shell, record: (command: StepCommand) => void): Shell {
  const shell = (first: unknown, ...rest: unknown[]): unknown => {
    if (!Array.isArray(first)) return recordingShell((base as unknown as (o: unknown) => Shell)(first), record);
    const run = (base as unknown as (p: unknown, ...a: unknown[]) => ProcessPromise)(first, ...rest);
    const command = run.cmd;
    run.then(
      (out: ProcessOutput) => record({ command, exitCode: out.exitCode, output: tail(`${out.stdout}${out.stderr}`) }),
      (error: unknown) => record({ command, exitCode: isOutput(error) ? error.exitCode : null, output: tail(isOutput(error) ? `${error.stdout}${error.stderr}` : String(error)) }),
    );
    return run;
  };
  return shell as unknown as Shell;
}

/** A harness action (kube.*, node.*) recorded like a command: its name, and what it returned or threw. */
function recordedActions<T extends object>(actions: T, prefix: string, record: (command: StepCommand) => void): T {
  return new Proxy(actions, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function' || key === 'config' || key === 'names') return value;
      return async (...args: unknown[]) => {
        const command = `${prefix}.${String(key)}(${args.map((a) => JSON.stringify(a)).join(', ')})`;
        try {
          const result: unknown = await (value as (...a: unknown[]) => unknown).apply(target, args);
          record({ command, exitCode: 0, output: typeof result === 'string' ? tail(result) : '' });
          return result;
        } catch (error) {
          record({ command, exitCode: 1, output: error instanceof Error ? error.message : String(error) });
          throw error;
        }
      };
    },
  });
}

function namespaceEnv(instance: ScenarioInstance): Record<string, string> {
  // NS_TEAM_A=team-a-1f2e3d: a step's shell commands name the run's namespaces without plumbing.
  return Object.fromEntries([...instance.namespaces].map(([logical, real]) => [`NS_${logical.toUpperCase().replaceAll('-', '_')}`, real]));
}

function stepContext(instance: ScenarioInstance, env: StepEnvironment, record: (c: StepCommand) => void): StepContext {
  const base = zx$({ env: { ...process.env, ...(env.kubeconfig ? { KUBECONFIG: env.kubeconfig } : {}), ...namespaceEnv(instance) }, quiet: true, verbose: false });
  return {
    $: recordingShell(base, record),
    kubeconfig: env.kubeconfig,
    namespace: (logical) => instance.namespaces.get(logical) ?? logical,
    depth: env.depth,
    kube: recordedActions(env.kube, 'kube', record),
    node: recordedActions(env.node, 'node', record),
    registry: env.registry,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

function failureNote(error: unknown): string {
  if (isOutput(error)) return `exit ${String(error.exitCode)}: ${(error.stderr || error.stdout).trim().split('\n').at(-1) ?? ''}`;
  return error instanceof Error ? error.message : String(error);
}

async function runStep(step: StepSpec, after: Block | undefined, instance: ScenarioInstance, env: StepEnvironment): Promise<{ result: StepResult; block?: Block }> {
  const head = { name: step.name, ...(step.after ? { after: step.after } : {}) };
  if (after) return { result: { ...head, outcome: 'blocked', commands: [], note: `after step "${after.step}", which ${after.kind === 'failed' ? 'failed' : 'did not run'}` }, block: after };
  const needs = step.depth ?? 'node';
  if (DEPTH_RANK[needs] > DEPTH_RANK[env.depth]) {
    const note = `needs ${needs} depth${env.depth === 'plugin' ? ': plugin depth has no API server or nodes' : ''}`;
    return { result: { ...head, outcome: 'not-run-at-depth', commands: [], note }, block: { step: step.name, kind: 'not-run-at-depth', note, commands: [] } };
  }
  const commands: StepCommand[] = [];
  const started = Date.now();
  try {
    await step.run(stepContext(instance, env, (c) => commands.push(c)));
    return { result: { ...head, outcome: 'done', commands, durationMs: Date.now() - started } };
  } catch (error) {
    // A rejected `$` is recorded by its own handler, which runs before this one: the evidence is in `commands`.
    await new Promise((resolve) => setImmediate(resolve));
    const note = failureNote(error);
    return { result: { ...head, outcome: 'failed', commands, note, durationMs: Date.now() - started }, block: { step: step.name, kind: 'failed', note, commands } };
  }
}

function commandLines(step: string, commands: readonly StepCommand[]): string[] {
  return commands.map((c) => `step ${step}: $ ${c.command} → exit ${String(c.exitCode)}${c.output ? `: ${c.output.split('\n').at(-1) ?? ''}` : ''}`);
}

function blockedPod(pod: InstancePod, instance: ScenarioInstance, block: Block, depth: Depth): PodResult {
  if (block.kind === 'not-run-at-depth') return skipped(pod, instance, 'not-checked-at-depth', `after step "${block.step}", which cannot act at ${depth} depth (${block.note})`);
  const fault: Fault = { kind: 'step-failure', name: `step "${block.step}" of ${instance.scenario.name} failed: ${block.note}`, evidence: block.commands.map((c) => `$ ${c.command}\n${c.output}\n(exit ${String(c.exitCode)})`).join('\n') };
  const base = skipped(pod, instance, 'inconclusive', `not run: step "${block.step}" failed (${block.note})`);
  return { ...base, fault, evidence: { ...base.evidence, trace: commandLines(block.step, block.commands) } };
}

/** Runs a scenario's pods and steps in `after` order; results in declaration order. */
export async function runScenarioItems(
  instance: ScenarioInstance,
  env: StepEnvironment,
  runPod: (pod: InstancePod) => Promise<PodResult>,
): Promise<{ pods: PodResult[]; steps: StepResult[] }> {
  const items: Item[] = [
    ...(instance.scenario.steps ?? []).map((step): Item => ({ kind: 'step', name: step.name, ...(step.after ? { after: step.after } : {}), step })),
    ...instance.pods.map((pod): Item => ({ kind: 'pod', name: pod.name, ...(pod.after ? { after: pod.after } : {}), pod })),
  ];
  const byName = new Map(items.map((i) => [i.name, i]));
  const settled = new Map<string, Promise<{ block?: Block; step?: StepResult; pod?: PodResult; done?: StepResult }>>();
  // The steps that completed before an item, nearest first: shown in the pod's trace as evidence.
  const settle = (name: string): Promise<{ block?: Block; step?: StepResult; pod?: PodResult; history: StepResult[] }> => {
    const existing = settled.get(name);
    if (existing) return existing as Promise<{ block?: Block; step?: StepResult; pod?: PodResult; history: StepResult[] }>;
    const item = byName.get(name);
    if (!item) throw new Error(`scenario ${instance.scenario.name}: "${name}" names no pod or step`);
    const promise = (async () => {
      const before = item.after ? await settle(item.after) : { history: [] as StepResult[] };
      const history = before.history;
      if (item.kind === 'step') {
        const { result, block } = await runStep(item.step, before.block, instance, env);
        return { step: result, history: result.outcome === 'done' ? [...history, result] : history, ...(block ? { block } : {}) };
      }
      if (before.block) return { pod: blockedPod(item.pod, instance, before.block, env.depth), history, block: before.block };
      const result = await runPod(item.pod);
      const lines = history.flatMap((s) => commandLines(s.name, s.commands));
      return { pod: lines.length && result.verdict ? { ...result, evidence: { ...result.evidence, trace: [...lines, ...result.evidence.trace] } } : result, history };
    })();
    settled.set(name, promise);
    return promise;
  };
  const outcomes = await Promise.all(items.map((i) => settle(i.name)));
  return {
    steps: outcomes.flatMap((o) => (o.step ? [o.step] : [])),
    pods: instance.pods.map((pod) => outcomes[items.findIndex((i) => i.kind === 'pod' && i.name === pod.name)]?.pod).filter((p): p is PodResult => Boolean(p)),
  };
}
