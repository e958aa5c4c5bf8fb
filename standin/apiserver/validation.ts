import type { StatusCause } from './status-errors.ts';
import { isObject, objects, str, type JsonObject, type KubeObject } from './types.ts';

/**
 * Field validation the stand-in performs, with apimachinery's exact texts:
 * k8s.io/apimachinery pkg/util/validation/validation.go (IsDNS1123Subdomain, IsDNS1123Label, RegexError,
 * MaxLenError) and pkg/util/validation/field/errors.go (ErrorBody: `Invalid value: "<v>": <detail>`, `Required value`).
 */

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const LABEL = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);

/** validation.go RegexError: the message, then the examples, then the regex. */
function regexError(message: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${fmt}')`;
  // Go appends "'<example>', " per example, joined by " or ": `(e.g. 'my-name', or '123-abc', regex used …)`.
  return `${message} (e.g. ${examples.map((x) => `'${x}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

const maxLenError = (n: number): string => `must be no more than ${n} characters`;

export function dns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!SUBDOMAIN.test(value)) errs.push(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

export function dns1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!LABEL.test(value)) {
    // A valid subdomain that is not a label can only differ by dots (length was checked above).
    if (SUBDOMAIN.test(value)) errs.push('must not contain dots');
    else errs.push(regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  }
  return errs;
}

/** k8s.io/apimachinery pkg/api/validation/path/name.go IsValidPathSegmentName (RBAC object names). */
export function pathSegmentName(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  return ['/', '%'].filter((c) => value.includes(c)).map((c) => `may not contain '${c}'`);
}

/** field.ErrorBody for Invalid: the value as Go's %#v-like rendering (strings quoted, numbers bare). */
function invalidValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

export function fieldInvalid(field: string, value: unknown, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${invalidValue(value)}: ${detail}`, field };
}

export function fieldRequired(field: string, detail = ''): StatusCause {
  return { reason: 'FieldValueRequired', message: detail ? `Required value: ${detail}` : 'Required value', field };
}

/**
 * ValidateObjectMeta's name rule (k8s.io/apimachinery pkg/api/validation/objectmeta.go): name or
 * generateName is required; the name must pass the kind's name validator.
 */
export function validateName(object: KubeObject, nameRule: 'subdomain' | 'label' | 'path-segment'): StatusCause[] {
  const name = object.metadata.name;
  if (!name) {
    return [fieldRequired('metadata.name', 'name or generateName is required')];
  }
  const errs = nameRule === 'label' ? dns1123Label(name) : nameRule === 'subdomain' ? dns1123Subdomain(name) : pathSegmentName(name);
  return errs.map((e) => fieldInvalid('metadata.name', name, e));
}

/**
 * The pod rules clients trip over first (pkg/apis/core/validation/validation.go validateContainers):
 * at least one container, each with a DNS-1123 label name and an image. Not the full pod validation.
 */
export function validatePodSpec(spec: JsonObject | undefined): StatusCause[] {
  if (!spec) return [fieldRequired('spec.containers')];
  const containers = objects(spec.containers);
  if (containers.length === 0) return [fieldRequired('spec.containers')];
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  containers.forEach((c, i) => {
    const path = `spec.containers[${i}]`;
    const name = str(c.name);
    if (!name) causes.push(fieldRequired(`${path}.name`));
    else {
      for (const e of dns1123Label(name)) causes.push(fieldInvalid(`${path}.name`, name, e));
      if (seen.has(name)) causes.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(name)}`, field: `${path}.name` });
      seen.add(name);
    }
    const image = str(c.image);
    if (!image || image.trim() === '') causes.push(fieldRequired(`${path}.image`));
  });
  return causes;
}

export function isTokenRequestBody(value: unknown): value is JsonObject {
  return isObject(value);
}
