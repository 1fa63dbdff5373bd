// Reads JSON text as tokens that keep their original spelling, to pretty-print and fold a body
// without JSON.parse (which would lose number formatting such as 1.50 or 1e3 and big integers).

export type Token =
  | { t: 'open'; ch: '{' | '[' }
  | { t: 'close'; ch: '}' | ']' }
  | { t: 'colon' }
  | { t: 'comma' }
  | { t: 'string'; raw: string }
  | { t: 'number'; raw: string }
  | { t: 'literal'; raw: 'true' | 'false' | 'null' };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Splits JSON text into tokens, or returns null when it is not JSON. */
export function tokenize(text: string): Token[] | null {
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\n' || c === '\r' || c === '\t') {
      i++;
    } else if (c === '{' || c === '[') {
      out.push({ t: 'open', ch: c });
      i++;
    } else if (c === '}' || c === ']') {
      out.push({ t: 'close', ch: c });
      i++;
    } else if (c === ':') {
      out.push({ t: 'colon' });
      i++;
    } else if (c === ',') {
      out.push({ t: 'comma' });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') {
        if (text[j] === '\\') j++;
        else if (text.charCodeAt(j) < 0x20) return null;
        j++;
      }
      if (j >= n) return null;
      out.push({ t: 'string', raw: text.slice(i, j + 1) });
      i = j + 1;
    } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
      out.push({ t: 'literal', raw: text.slice(i, i + 4) as 'true' | 'null' });
      i += 4;
    } else if (text.startsWith('false', i)) {
      out.push({ t: 'literal', raw: 'false' });
      i += 5;
    } else {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m || m[0].length === 0) return null;
      out.push({ t: 'number', raw: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

/** A JSON value with its scalars spelled as in the source text. */
export type JsonNode =
  | { kind: 'object'; entries: { key: string; value: JsonNode }[] }
  | { kind: 'array'; items: JsonNode[] }
  | { kind: 'string' | 'number' | 'literal'; raw: string };

/** Parses JSON text into a tree that keeps key order and number spelling; null if not JSON. */
export function parseTree(text: string): JsonNode | null {
  const tokens = tokenize(text);
  if (!tokens || tokens.length === 0) return null;
  let pos = 0;
  const value = (): JsonNode => {
    const tok = tokens[pos++];
    if (!tok) throw new Error('end of input');
    if (tok.t === 'string' || tok.t === 'number' || tok.t === 'literal') {
      return { kind: tok.t, raw: tok.raw };
    }
    if (tok.t === 'open' && tok.ch === '{') {
      const entries: { key: string; value: JsonNode }[] = [];
      if (tokens[pos]?.t === 'close') {
        pos++;
        return { kind: 'object', entries };
      }
      for (;;) {
        const key = tokens[pos++];
        if (key?.t !== 'string' || tokens[pos++]?.t !== 'colon') throw new Error('key');
        entries.push({ key: key.raw, value: value() });
        const sep = tokens[pos++];
        if (sep?.t === 'comma') continue;
        if (sep?.t === 'close' && sep.ch === '}') return { kind: 'object', entries };
        throw new Error('object');
      }
    }
    if (tok.t === 'open' && tok.ch === '[') {
      const items: JsonNode[] = [];
      if (tokens[pos]?.t === 'close') {
        pos++;
        return { kind: 'array', items };
      }
      for (;;) {
        items.push(value());
        const sep = tokens[pos++];
        if (sep?.t === 'comma') continue;
        if (sep?.t === 'close' && sep.ch === ']') return { kind: 'array', items };
        throw new Error('array');
      }
    }
    throw new Error('unexpected token');
  };
  try {
    const root = value();
    return pos === tokens.length ? root : null;
  } catch {
    return null;
  }
}

/**
 * Re-indents JSON text: same keys in the same order, same number spelling, only whitespace
 * changes. Text that is not JSON comes back unchanged.
 */
export function reindent(text: string, indent = '  '): string {
  const tree = parseTree(text);
  if (!tree) return text;
  return render(tree, indent, '');
}

function render(node: JsonNode, indent: string, at: string): string {
  const inner = at + indent;
  switch (node.kind) {
    case 'object':
      if (node.entries.length === 0) return '{}';
      return `{\n${node.entries
        .map((e) => `${inner}${e.key}: ${render(e.value, indent, inner)}`)
        .join(',\n')}\n${at}}`;
    case 'array':
      if (node.items.length === 0) return '[]';
      return `[\n${node.items.map((v) => inner + render(v, indent, inner)).join(',\n')}\n${at}]`;
    default:
      return node.raw;
  }
}

/** Compacts JSON text the same way (no whitespace between tokens). */
export function compact(text: string): string {
  if (!parseTree(text)) return text;
  return (tokenize(text) ?? [])
    .map((t) => (t.t === 'open' || t.t === 'close' ? t.ch : t.t === 'colon' ? ':' : t.t === 'comma' ? ',' : t.raw))
    .join('');
}

/** How many direct children a container has, for a folded summary. */
export function childCount(node: JsonNode): number {
  if (node.kind === 'object') return node.entries.length;
  if (node.kind === 'array') return node.items.length;
  return 0;
}
