/**
 * Escaping for the two markup outputs. Evidence is untrusted text (registry and containerd
 * messages, kubelet logs), so every string goes through one of these before it is written.
 */

// XML 1.0 §2.2: these code points are not allowed in a document at all, not even as &#x1;.
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Makes a forbidden character visible instead of dropping it: ESC becomes the text `\x1b`. */
function showForbidden(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Text content of an XML element. */
export function escapeXmlText(text: string): string {
  return text.replace(XML_FORBIDDEN, showForbidden).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An XML attribute value in double quotes; tabs and newlines as character references so parsers keep them. */
export function escapeXmlAttribute(text: string): string {
  return escapeXmlText(text).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

/** Text or a double-quoted attribute value in HTML. */
export function escapeHtml(text: string): string {
  return text
    .replace(XML_FORBIDDEN, showForbidden)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
