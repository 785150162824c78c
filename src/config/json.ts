// A small JSON parser that, unlike JSON.parse, says where things are: the line and
// column of a syntax error, of every value (so schema errors can point at a line),
// and of duplicate keys (JSON.parse silently keeps the last one).

export type JsonPath = ReadonlyArray<string | number>;

export interface Position {
  line: number;
  column: number;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: Position,
  ) {
    super(message);
  }
}

export interface ParsedJson {
  value: unknown;
  /** Start of each value, keyed by `formatPath(path)`. */
  positions: Map<string, Position>;
  /** Keys that appear twice in one object: the second occurrence's path and position. */
  duplicates: { path: JsonPath; position: Position; first: Position }[];
}

/** `$.images.web.packages[0]`; keys that are not plain words are quoted: `$.repos["my.repo"]`. */
export function formatPath(path: JsonPath): string {
  let out = '$';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_$][A-Za-z0-9_$-]*$/.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function parseJson(text: string): ParsedJson {
  const src = text.replace(/^\uFEFF/, '');
  let i = 0;
  const positions = new Map<string, Position>();
  const duplicates: ParsedJson['duplicates'] = [];

  // Line starts, for offset → line:column.
  const lineStarts = [0];
  for (let k = 0; k < src.length; k++) if (src.charCodeAt(k) === 10) lineStarts.push(k + 1);
  const posOf = (offset: number): Position => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo]! + 1 };
  };

  const describe = (at: number): string => {
    if (at >= src.length) return 'the end of the file';
    const c = src[at]!;
    if (c === '\n' || c === '\r') return 'a line break';
    return JSON.stringify(c);
  };
  const fail = (msg: string, at = i): never => {
    throw new JsonSyntaxError(`${msg}, found ${describe(at)}`, posOf(at));
  };

  const ws = () => {
    while (i < src.length) {
      const c = src.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };

  const string = (): string => {
    const start = i;
    i++; // opening quote
    while (i < src.length) {
      const c = src.charCodeAt(i);
      if (c === 34) {
        i++;
        return JSON.parse(src.slice(start, i)) as string;
      }
      if (c === 92) {
        const e = src[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) fail('expected 4 hex digits after \\u', i + 2);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail('invalid escape in string', i + 1);
        continue;
      }
      if (c < 32) fail('unterminated string or control character in string (use \\n, \\t)');
      i++;
    }
    return fail('unterminated string', start);
  };

  const number = (): number => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i, i + 400));
    if (!m) return fail('expected a number');
    i += m[0].length;
    return Number(m[0]);
  };

  const literal = (word: string, value: unknown): unknown => {
    if (src.startsWith(word, i)) {
      i += word.length;
      return value;
    }
    return fail('expected a value (object, list, string, number, true, false or null)');
  };

  const value = (path: (string | number)[]): unknown => {
    ws();
    positions.set(formatPath(path), posOf(i));
    const c = src[i];
    switch (c) {
      case '{': {
        i++;
        const obj: Record<string, unknown> = {};
        const seen = new Map<string, Position>();
        ws();
        if (src[i] === '}') {
          i++;
          return obj;
        }
        for (;;) {
          ws();
          if (src[i] !== '"') fail(src[i] === '}' ? 'trailing comma before "}"' : 'expected a quoted property name');
          const keyPos = posOf(i);
          const key = string();
          ws();
          if (src[i] !== ':') fail(`expected ":" after property name ${JSON.stringify(key)}`);
          i++;
          const first = seen.get(key);
          if (first) duplicates.push({ path: [...path, key], position: keyPos, first });
          else seen.set(key, keyPos);
          Object.defineProperty(obj, key, { value: value([...path, key]), enumerable: true, writable: true, configurable: true });
          ws();
          if (src[i] === ',') {
            i++;
            continue;
          }
          if (src[i] === '}') {
            i++;
            return obj;
          }
          fail('expected "," or "}" after a property value');
        }
      }
      case '[': {
        i++;
        const arr: unknown[] = [];
        ws();
        if (src[i] === ']') {
          i++;
          return arr;
        }
        for (;;) {
          ws();
          if (src[i] === ']') fail('trailing comma before "]"');
          arr.push(value([...path, arr.length]));
          ws();
          if (src[i] === ',') {
            i++;
            continue;
          }
          if (src[i] === ']') {
            i++;
            return arr;
          }
          fail('expected "," or "]" after a list item');
        }
      }
      case '"':
        return string();
      case 't':
        return literal('true', true);
      case 'f':
        return literal('false', false);
      case 'n':
        return literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
        return fail(
          c === "'" ? 'strings need double quotes' : c === '/' ? 'JSON has no comments' : 'expected a value (object, list, string, number, true, false or null)',
        );
    }
  };

  ws();
  if (i >= src.length) fail('the file is empty: expected a JSON object');
  const result = value([]);
  ws();
  if (i < src.length) fail('expected the end of the file after the top-level value');
  return { value: result, positions, duplicates };
}
