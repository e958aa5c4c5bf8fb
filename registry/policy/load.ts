import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { ACTIONS, type Action, type Grant, type Policy, type Role, type SubjectMatch, type SubjectRule } from './policy.ts';

/** A policy document that does not have the expected shape; `path` points at the field. */
export class PolicyError extends Error {
  readonly source: string;
  readonly path: string;
  constructor(source: string, path: string, detail: string) {
    super(`policy ${source}: ${path || '<root>'} ${detail}`);
    this.name = 'PolicyError';
    this.source = source;
    this.path = path;
  }
}

const GLOB = /^[A-Za-z0-9._\-/*:]+$/;

class Reader {
  readonly source: string;
  constructor(source: string) {
    this.source = source;
  }
  fail(path: string, detail: string): never {
    throw new PolicyError(this.source, path, detail);
  }
  object(value: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, `must be a mapping, got ${kind(value)}`);
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) this.fail(`${path}.${key}`.replace(/^\./, ''), `is not a known field (expected one of: ${keys.join(', ')})`);
    }
    return value as Record<string, unknown>;
  }
  list(value: unknown, path: string, { optional = false } = {}): unknown[] {
    if (value === undefined && optional) return [];
    if (!Array.isArray(value)) this.fail(path, `must be a list, got ${kind(value)}`);
    return value;
  }
  glob(value: unknown, path: string): string {
    if (typeof value !== 'string' || value === '') this.fail(path, `must be a non-empty glob string, got ${kind(value)}`);
    if (!GLOB.test(value)) this.fail(path, `${JSON.stringify(value)} contains characters outside [A-Za-z0-9._-/*:]`);
    return value;
  }
}

function kind(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`;
}

function readMatch(r: Reader, value: unknown, path: string): SubjectMatch {
  const o = r.object(value, path, ['namespace', 'serviceAccount']);
  return { namespace: r.glob(o.namespace, `${path}.namespace`), serviceAccount: r.glob(o.serviceAccount, `${path}.serviceAccount`) };
}

function readGrant(r: Reader, value: unknown, path: string): Grant {
  const o = r.object(value, path, ['repositories', 'actions']);
  const repositories = r.list(o.repositories, `${path}.repositories`).map((glob, i) => r.glob(glob, `${path}.repositories[${i}]`));
  if (repositories.length === 0) r.fail(`${path}.repositories`, 'is empty: name at least one repository glob');
  const actions = r.list(o.actions, `${path}.actions`).map((action, i): Action => {
    if (!(ACTIONS as readonly unknown[]).includes(action)) r.fail(`${path}.actions[${i}]`, `${kind(action)} is not one of ${ACTIONS.join(', ')}`);
    return action as Action;
  });
  if (actions.length === 0) r.fail(`${path}.actions`, 'is empty: a grant without actions grants nothing (omit the grant instead)');
  return { repositories, actions };
}

/** Validates an already-parsed document (a TS object or parsed YAML/JSON). */
export function parsePolicy(value: unknown, source = '<inline>'): Policy {
  const r: Reader = new Reader(source);
  const root = r.object(value, '', ['subjects', 'roles']);
  const subjects = r.list(root.subjects, 'subjects', { optional: true }).map((entry, i): SubjectRule => {
    const path = `subjects[${i}]`;
    const o = r.object(entry, path, ['name', 'match', 'grants']);
    if (o.name !== undefined && typeof o.name !== 'string') r.fail(`${path}.name`, `must be a string, got ${kind(o.name)}`);
    const grants = r.list(o.grants, `${path}.grants`).map((grant, j) => readGrant(r, grant, `${path}.grants[${j}]`));
    return { ...(typeof o.name === 'string' ? { name: o.name } : {}), match: readMatch(r, o.match, `${path}.match`), grants };
  });
  const names = new Set<string>();
  const roles = r.list(root.roles, 'roles', { optional: true }).map((entry, i): Role => {
    const path = `roles[${i}]`;
    const o = r.object(entry, path, ['name', 'trust', 'grants']);
    if (typeof o.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(o.name)) r.fail(`${path}.name`, `must be a role name ([A-Za-z0-9._-]), got ${kind(o.name)}`);
    if (names.has(o.name)) r.fail(`${path}.name`, `${JSON.stringify(o.name)} is defined twice: role names must be unique`);
    names.add(o.name);
    const trust = r.list(o.trust, `${path}.trust`).map((match, j) => readMatch(r, match, `${path}.trust[${j}]`));
    if (trust.length === 0) r.fail(`${path}.trust`, 'is empty: nobody could assume this role');
    const grants = r.list(o.grants, `${path}.grants`).map((grant, j) => readGrant(r, grant, `${path}.grants[${j}]`));
    return { name: o.name, trust, grants };
  });
  return { subjects, roles };
}

export function parsePolicyYaml(text: string, source = '<inline>'): Policy {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new PolicyError(source, '', `is not valid YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parsePolicy(document ?? {}, source);
}

export async function loadPolicyFile(path: string): Promise<Policy> {
  return parsePolicyYaml(await readFile(path, 'utf8'), path);
}
