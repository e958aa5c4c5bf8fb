import type { XmlElement } from './xml.ts';

/**
 * The JUnit XML shape CI tools read, encoded as checks (docs/results-schema.md § JUnit). It is
 * the Jenkins/Ant schema (junit-10.xsd: testsuites > testsuite > testcase with skipped | failure |
 * error, system-out, system-err) plus the one common extension we use, `<properties>` as the first
 * child of `<testcase>` (read by GitHub Actions reporters, GitLab and Jenkins' JUnit plugin).
 * Returns every violation, so a failing test shows all of them.
 */

interface ElementRule {
  readonly required: readonly string[];
  readonly optional: readonly string[];
  /** Allowed children in order; `?` at most once, `*` any number. */
  readonly children: readonly string[];
  readonly text: boolean;
}

const RULES: Readonly<Record<string, ElementRule>> = {
  testsuites: { required: [], optional: ['name', 'tests', 'failures', 'errors', 'skipped', 'disabled', 'time', 'timestamp'], children: ['testsuite*'], text: false },
  testsuite: {
    required: ['name', 'tests', 'failures', 'errors'],
    optional: ['skipped', 'disabled', 'time', 'timestamp', 'hostname', 'id', 'package', 'file'],
    children: ['properties?', 'testcase*', 'system-out?', 'system-err?'],
    text: false,
  },
  properties: { required: [], optional: [], children: ['property*'], text: false },
  property: { required: ['name', 'value'], optional: [], children: [], text: false },
  testcase: {
    required: ['name', 'classname'],
    optional: ['time', 'file', 'line', 'assertions', 'status'],
    children: ['properties?', 'skipped|failure|error?', 'system-out?', 'system-err?'],
    text: false,
  },
  skipped: { required: [], optional: ['message'], children: [], text: true },
  failure: { required: [], optional: ['message', 'type'], children: [], text: true },
  error: { required: [], optional: ['message', 'type'], children: [], text: true },
  'system-out': { required: [], optional: [], children: [], text: true },
  'system-err': { required: [], optional: [], children: [], text: true },
};

const COUNT = /^\d+$/;
const TIME = /^\d+(\.\d+)?$/;
// Ant's junit-10.xsd ISO8601_DATETIME_PATTERN: no fraction, no zone.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

function checkChildren(element: XmlElement, rule: ElementRule, path: string, problems: string[]): void {
  let slot = 0;
  let usedInSlot = 0;
  for (const child of element.children) {
    let placed = false;
    while (slot < rule.children.length) {
      const spec = rule.children[slot] ?? '';
      const names = spec.replace(/[?*]$/, '').split('|');
      if (names.includes(child.name) && (spec.endsWith('*') || usedInSlot === 0)) {
        usedInSlot++;
        placed = true;
        break;
      }
      slot++;
      usedInSlot = 0;
    }
    if (!placed) problems.push(`${path}: <${child.name}> is not allowed here (allowed in order: ${rule.children.join(', ') || 'nothing'})`);
  }
}

function visit(element: XmlElement, path: string, problems: string[]): void {
  const rule = RULES[element.name];
  if (!rule) {
    problems.push(`${path}: unknown element <${element.name}>`);
    return;
  }
  for (const name of rule.required) if (!(name in element.attributes)) problems.push(`${path}: missing attribute ${name}`);
  for (const name of Object.keys(element.attributes)) {
    if (!rule.required.includes(name) && !rule.optional.includes(name)) problems.push(`${path}: unknown attribute ${name}`);
  }
  for (const name of ['tests', 'failures', 'errors', 'skipped', 'disabled']) {
    const value = element.attributes[name];
    if (value !== undefined && !COUNT.test(value)) problems.push(`${path}: ${name}="${value}" is not a count`);
  }
  const timestamp = element.attributes.timestamp;
  if (timestamp !== undefined && !TIMESTAMP.test(timestamp)) problems.push(`${path}: timestamp="${timestamp}" is not YYYY-MM-DDTHH:MM:SS`);
  const time = element.attributes.time;
  if (time !== undefined && !TIME.test(time)) problems.push(`${path}: time="${time}" is not a decimal number of seconds`);
  if (!rule.text && element.text.trim() !== '') problems.push(`${path}: text is not allowed in <${element.name}>`);
  checkChildren(element, rule, path, problems);
  element.children.forEach((child, i) => visit(child, `${path}/${child.name}[${i}]`, problems));
  if (element.name === 'testsuite') {
    const cases = element.children.filter((c) => c.name === 'testcase');
    const has = (kind: string): number => cases.filter((c) => c.children.some((k) => k.name === kind)).length;
    const expect = (attr: string, actual: number): void => {
      if (element.attributes[attr] !== undefined && Number(element.attributes[attr]) !== actual) {
        problems.push(`${path}: ${attr}="${element.attributes[attr]}" but ${actual} testcases say so`);
      }
    };
    expect('tests', cases.length);
    expect('failures', has('failure'));
    expect('errors', has('error'));
    expect('skipped', has('skipped'));
  }
}

export function junitProblems(root: XmlElement): string[] {
  const problems: string[] = [];
  if (root.name !== 'testsuites' && root.name !== 'testsuite') return [`root is <${root.name}>, not <testsuites> or <testsuite>`];
  visit(root, root.name, problems);
  return problems;
}
