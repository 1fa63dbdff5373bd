// Unit tests for the JSON re-indenter: key order, number spelling and strings survive untouched.
import { describe, expect, it } from 'vitest';
import { compact, parseTree, reindent } from './json';

describe('reindent', () => {
  it('keeps key order (no sorting, no JSON.parse reordering of integer-like keys)', () => {
    const text = '{"z":1,"a":2,"10":3,"2":4}';
    expect(reindent(text)).toBe('{\n  "z": 1,\n  "a": 2,\n  "10": 3,\n  "2": 4\n}');
  });
  it('keeps number spelling: trailing zeros, exponents, big integers', () => {
    const text = '{"price":1.50,"big":12345678901234567890123,"exp":1e3,"neg":-0.0}';
    const out = reindent(text);
    expect(out).toContain('"price": 1.50');
    expect(out).toContain('"big": 12345678901234567890123');
    expect(out).toContain('"exp": 1e3');
    expect(out).toContain('"neg": -0.0');
  });
  it('leaves strings alone, including braces, commas and escapes', () => {
    const text = '{"s":"a, {b}: [c] \\"q\\" \\\\","u":"\\u00e9"}';
    expect(reindent(text)).toBe('{\n  "s": "a, {b}: [c] \\"q\\" \\\\",\n  "u": "\\u00e9"\n}');
  });
  it('indents nested containers and keeps empty ones inline', () => {
    const text = '{"data":{"list":[1,{"x":null}],"empty":{},"none":[]},"ok":true}';
    expect(reindent(text)).toBe(
      [
        '{',
        '  "data": {',
        '    "list": [',
        '      1,',
        '      {',
        '        "x": null',
        '      }',
        '    ],',
        '    "empty": {},',
        '    "none": []',
        '  },',
        '  "ok": true',
        '}',
      ].join('\n'),
    );
  });
  it('re-indents already pretty text the same way', () => {
    const pretty = '{\n    "b": [ 1 ,2 ],\n\t"a": "x"\n}';
    expect(reindent(pretty)).toBe('{\n  "b": [\n    1,\n    2\n  ],\n  "a": "x"\n}');
  });
  it('returns text that is not JSON unchanged', () => {
    for (const text of ['', 'hello', '{"a":1', '{"a":1}}', "{'a':1}", '{"a":tru}']) {
      expect(reindent(text)).toBe(text);
    }
  });
  it('compacts back to the original bytes of a compact body', () => {
    const body = '{"data":{"id":"user_1","n":1.50,"t":[]},"type":"user.created"}';
    expect(compact(reindent(body))).toBe(body);
  });
  it('parses scalars at the top level', () => {
    expect(parseTree(' 42 ')).toEqual({ kind: 'number', raw: '42' });
    expect(parseTree('"x"')).toEqual({ kind: 'string', raw: '"x"' });
  });
});
