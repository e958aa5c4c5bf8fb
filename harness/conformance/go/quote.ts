/**
 * Go's `%q` for the strings kubelet prints: `strconv.Quote` (golang/go src/strconv/quote.go
 * appendQuotedWith/appendEscapedRune). `"` and `\` are escaped; the seven C escapes `\a \b \f \n
 * \r \t \v` are used; other runes that are not `strconv.IsPrint` (letters, marks, numbers,
 * punctuation, symbols and the ASCII space — so U+00A0 and every other non-ASCII space are *not*
 * printable) become `\xNN` below U+0080, `\uNNNN` below U+10000, else `\UNNNNNNNN`.
 */
const C_ESCAPES: Readonly<Record<string, string>> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function escapeRune(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === '"' || ch === '\\') return `\\${ch}`;
  const c = C_ESCAPES[ch];
  if (c) return c;
  if (PRINTABLE.test(ch)) return ch;
  if (code < 0x80) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) out += escapeRune(ch);
  return `${out}"`;
}

/**
 * encoding/json's string encoding (golang/go src/encoding/json/encode.go appendString with
 * escapeHTML): `<`, `>`, `&`, U+2028 and U+2029 become `\u003c`, `\u003e`, `\u0026`, `\u2028`,
 * `\u2029`; control characters `\n \r \t` short forms, others `\u00XX`. This is how a newer
 * apimachinery field.Error renders a bad value that is not a plain Go `string` (e.g. the typed
 * `ServiceAccountTokenCacheType`).
 */
export function goJsonString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || ch === '<' || ch === '>' || ch === '&' || code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * Go `strings.ToLower`: rune by rune with `unicode.ToLower`, which never expands a rune. JS
 * `toLowerCase` turns `İ` (U+0130) into `i` + U+0307; Go gives plain `i` (so `İ` is a valid
 * annotation key to kubelet, which lower-cases before the QualifiedName check).
 */
export function goToLower(value: string): string {
  let out = '';
  for (const ch of value) {
    const lower = ch.toLowerCase();
    out += [...lower].length === 1 ? lower : ([...lower][0] ?? ch);
  }
  return out;
}
