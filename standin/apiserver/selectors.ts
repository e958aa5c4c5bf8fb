import { badRequest } from './status-errors.ts';
import { labelsOf, stringAt, type KubeObject } from './types.ts';

/**
 * Label selectors (k8s.io/apimachinery pkg/labels/selector.go: `k=v`, `k==v`, `k!=v`, `k`, `!k`,
 * `k in (a,b)`, `k notin (a,b)`) and field selectors (pkg/fields/selector.go: `f=v`, `f==v`, `f!=v`),
 * with the per-kind field sets the real registries expose (pkg/registry/core/<kind>/strategy.go
 * *ToSelectableFields).
 */

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'in' | 'notin'; key: string; values: string[] };

/** Splits on commas outside parentheses. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

function parseLabelSelector(selector: string): Requirement[] {
  return terms(selector).map((term): Requirement => {
    const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (set) return { op: set[2] === 'in' ? 'in' : 'notin', key: set[1] ?? '', values: (set[3] ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '') };
    const neq = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(term);
    if (neq) return { op: 'neq', key: neq[1] ?? '', value: neq[2] ?? '' };
    const eq = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(term);
    if (eq) return { op: 'eq', key: eq[1] ?? '', value: eq[2] ?? '' };
    if (/^![^!=\s()]+$/.test(term)) return { op: 'notexists', key: term.slice(1) };
    if (/^[^!=\s()]+$/.test(term)) return { op: 'exists', key: term };
    // labels.Parse's error surfaces as a 400 from the list handler.
    throw badRequest(`unable to parse requirement: found '${term}', expected: identifier`);
  });
}

export function labelMatcher(selector: string | undefined): (object: KubeObject) => boolean {
  if (!selector) return () => true;
  const requirements = parseLabelSelector(selector);
  return (object) => {
    const labels = labelsOf(object);
    return requirements.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      switch (r.op) {
        case 'eq': return has && labels[r.key] === r.value;
        case 'neq': return !has || labels[r.key] !== r.value;
        case 'exists': return has;
        case 'notexists': return !has;
        case 'in': return has && r.values.includes(labels[r.key] ?? '');
        case 'notin': return !has || !r.values.includes(labels[r.key] ?? '');
      }
    });
  };
}

/** The fields each kind can be selected by; any other field is a 400 like the real registry's. */
const SELECTABLE: Readonly<Record<string, readonly string[]>> = {
  // pkg/registry/core/pod/strategy.go ToSelectableFields (subset).
  Pod: ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  // pkg/registry/core/event/strategy.go ToSelectableFields.
  Event: ['metadata.name', 'metadata.namespace', 'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  Secret: ['metadata.name', 'metadata.namespace', 'type'],
  Namespace: ['metadata.name', 'status.phase'],
  Node: ['metadata.name', 'spec.unschedulable'],
};

function fieldValue(object: KubeObject, field: string): string {
  if (object.kind === 'Event' && field === 'source') return stringAt(object, 'source.component') ?? '';
  if (object.kind === 'Node' && field === 'spec.unschedulable') return String(object.spec !== null && typeof object.spec === 'object' && !Array.isArray(object.spec) && object.spec.unschedulable === true);
  return stringAt(object, field) ?? '';
}

export function fieldMatcher(kind: string, selector: string | undefined): (object: KubeObject) => boolean {
  if (!selector) return () => true;
  const allowed = SELECTABLE[kind] ?? ['metadata.name', 'metadata.namespace'];
  const requirements = terms(selector).map((term) => {
    const m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const field = m[1] ?? '';
    // The registry's field-label conversion rejects unknown fields (pkg/apis/core/v1/conversion.go).
    if (!allowed.includes(field)) throw badRequest(`field label not supported: ${field}`);
    return { field, negate: m[2] === '!=', value: m[3] ?? '' };
  });
  return (object) => requirements.every((r) => (fieldValue(object, r.field) === r.value) !== r.negate);
}
