/**
 * A strict, small XML 1.0 reader for tests: it rejects what a conforming parser rejects in the
 * documents we produce (forbidden characters, raw `<` or `&` in text or attributes, mismatched
 * or duplicate tags/attributes, more than one root) and returns an element tree with decoded text.
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated decoded text directly inside this element. */
  readonly text: string;
}

export class XmlSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.offset = offset;
  }
}

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;

function decode(raw: string, offset: number): string {
  if (FORBIDDEN.test(raw)) throw new XmlSyntaxError('forbidden character', offset);
  if (raw.includes('<')) throw new XmlSyntaxError('raw "<" in text or attribute', offset);
  return raw.replace(/&([^;]*);?/g, (match, body: string) => {
    if (!match.endsWith(';')) throw new XmlSyntaxError(`raw "&" (${match.slice(0, 10)})`, offset);
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (body in named) return named[body] ?? '';
    const num = /^#x([0-9a-fA-F]+)$/.exec(body) ?? /^#([0-9]+)$/.exec(body);
    if (!num?.[1]) throw new XmlSyntaxError(`unknown entity &${body};`, offset);
    const code = body.startsWith('#x') ? parseInt(num[1], 16) : parseInt(num[1], 10);
    const char = String.fromCodePoint(code);
    if (FORBIDDEN.test(char)) throw new XmlSyntaxError(`character reference to forbidden character &${body};`, offset);
    return char;
  });
}

export function parseXml(source: string): XmlElement {
  let pos = 0;
  const skipMisc = (): void => {
    for (;;) {
      const ws = /^\s*/.exec(source.slice(pos))?.[0].length ?? 0;
      pos += ws;
      if (source.startsWith('<?', pos)) pos = source.indexOf('?>', pos) + 2;
      else if (source.startsWith('<!--', pos)) pos = source.indexOf('-->', pos) + 3;
      else return;
      if (pos < 2) throw new XmlSyntaxError('unterminated declaration or comment', pos);
    }
  };
  const element = (): XmlElement => {
    if (source[pos] !== '<') throw new XmlSyntaxError('expected "<"', pos);
    pos++;
    const name = NAME.exec(source.slice(pos))?.[0];
    if (!name) throw new XmlSyntaxError('expected an element name', pos);
    pos += name.length;
    const attributes: Record<string, string> = {};
    for (;;) {
      const ws = /^\s*/.exec(source.slice(pos))?.[0].length ?? 0;
      pos += ws;
      if (source.startsWith('/>', pos)) {
        pos += 2;
        return { name, attributes, children: [], text: '' };
      }
      if (source[pos] === '>') {
        pos++;
        break;
      }
      if (ws === 0) throw new XmlSyntaxError(`expected whitespace before attribute in <${name}>`, pos);
      const attr = /^([A-Za-z_:][A-Za-z0-9_:.-]*)\s*=\s*(["'])/.exec(source.slice(pos));
      if (!attr?.[1] || !attr[2]) throw new XmlSyntaxError(`malformed attribute in <${name}>`, pos);
      pos += attr[0].length;
      const end = source.indexOf(attr[2], pos);
      if (end < 0) throw new XmlSyntaxError('unterminated attribute value', pos);
      if (attr[1] in attributes) throw new XmlSyntaxError(`duplicate attribute ${attr[1]} in <${name}>`, pos);
      attributes[attr[1]] = decode(source.slice(pos, end), pos);
      pos = end + 1;
    }
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      const next = source.indexOf('<', pos);
      if (next < 0) throw new XmlSyntaxError(`unclosed <${name}>`, pos);
      text += decode(source.slice(pos, next), pos);
      pos = next;
      if (source.startsWith('</', pos)) {
        const close = new RegExp(`^</${name.replace(/[.:-]/g, '\\$&')}\\s*>`).exec(source.slice(pos));
        if (!close) throw new XmlSyntaxError(`expected </${name}>`, pos);
        pos += close[0].length;
        return { name, attributes, children, text };
      }
      if (source.startsWith('<!--', pos)) {
        pos = source.indexOf('-->', pos) + 3;
        continue;
      }
      if (source.startsWith('<![CDATA[', pos)) {
        const end = source.indexOf(']]>', pos);
        text += source.slice(pos + 9, end);
        pos = end + 3;
        continue;
      }
      children.push(element());
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (pos !== source.length) throw new XmlSyntaxError('content after the root element', pos);
  return root;
}
