// The names a rich dependency adds to rpm's dependency indexes (rpm 4.18 lib/rpmdb.c
// updateRichDep over lib/rpmds.c rpmrichParse): every simple name in it, versions
// dropped and rpmlib() names left out, those in an `if`/`unless` condition prefixed "!"
// (an `else` adds its condition's names once more, inverted), sorted bytewise with the
// prefix, duplicates dropped, then the " " prefix removed. A string rpm cannot parse adds
// nothing.

const OPS = ['and', 'or', 'if', 'unless', 'else', 'with', 'without'] as const;
type Op = (typeof OPS)[number] | 'single';

const NO_WITH = 1 << 1;
const NO_AND = 1 << 2;
const NO_OR = 1 << 3;
const CHECK = 1 << 0;

class Unparsable extends Error {}

const space = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

interface Walk {
  /** A simple dependency `name [sense evr]` at `start`. */
  simple(name: string, sense: string, evr: string, start: number): void;
  op(op: Op): void;
  enter(): void;
  /** The expression `s.slice(start, end)` ends, its last op `op`. */
  leave(op: Op, start: number, end: number): void;
}

/** rpmds.c SKIPWHITE: blanks and commas. */
function skipWhite(s: string, p: number): number {
  while (p < s.length && (space(s[p]) || s[p] === ',')) p++;
  return p;
}

/** rpmds.c SKIPNONWHITEX: up to a blank, a comma, or a ")" that closes nothing opened here. */
function skipNonWhite(s: string, p: number): number {
  let depth = 0;
  while (p < s.length && !(space(s[p]) || s[p] === ',' || (s[p] === ')' && depth-- <= 0))) {
    if (s[p++] === '(') depth++;
  }
  return p;
}

const SENSES = new Set(['<', '<=', '=<', '=', '==', '>=', '=>', '>']);

function simpleDep(s: string, p: number, walk: Walk): number {
  const n = p;
  p = skipNonWhite(s, p);
  if (p === n) throw new Unparsable('name required');
  const name = s.slice(n, p);
  let sense = '';
  let evr = '';
  p = skipWhite(s, p);
  if (p < s.length) {
    const pe = skipNonWhite(s, p);
    if (SENSES.has(s.slice(p, pe))) {
      sense = s.slice(p, pe);
      p = skipWhite(s, pe);
      const e = p;
      p = skipNonWhite(s, p);
      if (p === e) throw new Unparsable('version required');
      evr = s.slice(e, p);
    }
  }
  walk.simple(name, sense, evr, n);
  return p;
}

function check(op: Op, flags: number): void {
  if ((op === 'with' || op === 'without') && flags & NO_WITH) throw new Unparsable('illegal ops in with/without');
  if (!(flags & CHECK)) return;
  if ((op === 'and' || op === 'if') && flags & NO_AND) throw new Unparsable("illegal context for 'unless'");
  if ((op === 'or' || op === 'unless') && flags & NO_OR) throw new Unparsable("illegal context for 'if'");
}

/** One parenthesised expression from `s[p]`; returns where it ends and what the parent must check. */
function expression(s: string, p: number, walk: Walk, flags: number): { end: number; flags: number } {
  const start = p;
  let op: Op = 'single';
  let first: Op = 'single';
  let chain: Op | undefined;
  walk.enter();
  if (s[p++] !== '(') throw new Unparsable('does not start with "("');
  for (;;) {
    p = skipWhite(s, p);
    if (s[p] === ')') throw new Unparsable(chain ? 'missing argument' : 'empty');
    if (s[p] === '(') {
      const sub = expression(s, p, walk, flags & CHECK);
      p = sub.end;
      let subFlags = sub.flags;
      if (op === 'if' || op === 'unless') subFlags &= ~(NO_AND | NO_OR);
      flags |= subFlags;
    } else {
      p = simpleDep(s, p, walk);
    }
    p = skipWhite(s, p);
    if (p >= s.length) throw new Unparsable('unterminated');
    if (s[p] === ')') break;
    let pe = p;
    while (pe < s.length && !space(s[pe]) && s[pe] !== ')') pe++;
    const word = s.slice(p, pe);
    if (!(OPS as readonly string[]).includes(word)) throw new Unparsable(`unknown op ${word}`);
    op = word as Op;
    if (first === 'single') first = op;
    if (op === 'else' && (chain === 'if' || chain === 'unless')) chain = undefined;
    if (chain && op !== chain) throw new Unparsable('cannot chain different ops');
    if (chain && op !== 'and' && op !== 'or' && op !== 'with') throw new Unparsable('can only chain and/or/with');
    walk.op(op);
    chain = op;
    p = pe;
  }
  check(first, flags);
  if (first === 'if') flags |= NO_OR;
  if (first === 'unless') flags |= NO_AND;
  if (op === 'and' || op === 'or') flags &= ~(NO_AND | NO_OR);
  if (op !== 'single' && op !== 'with' && op !== 'without' && op !== 'or') flags |= NO_WITH;
  walk.leave(op, start, p + 1);
  return { end: p + 1, flags };
}

/**
 * The extra index keys of a rich dependency (`(a if b else c)` → a, b, c, !b). `dep` is
 * the header's bytes as a latin1 string (one char per byte), so that sorting by char
 * code is rpm's strcmp and the keys go back to the same bytes.
 */
export function richIndexNames(dep: string): string[] {
  const names: string[] = [];
  let neg = false;
  const marks: number[] = [];
  const walk: Walk = {
    enter: () => marks.push(names.length),
    simple: (name, _sense, _evr, _start) => {
      if (!name.startsWith('rpmlib(') || name.length <= 7) names.push((neg ? '!' : ' ') + name);
    },
    op: (op) => {
      if (op === 'if' || op === 'unless') {
        // Where the condition starts, for an `else` to copy it.
        marks[marks.length - 1] = names.length;
        neg = !neg;
      } else if (op === 'else') {
        const end = names.length;
        for (let i = marks.at(-1)!; i < end; i++) names.push((names[i]![0] === '!' ? ' ' : '!') + names[i]!.slice(1));
        neg = !neg;
      }
    },
    leave: (op, _start, _end) => {
      marks.pop();
      if (op === 'if' || op === 'unless') neg = !neg;
    },
  };
  try {
    expression(dep, 0, walk, 0);
  } catch (err) {
    if (err instanceof Unparsable) return [];
    throw err;
  }
  // argvSort: strcmp over the prefixed names; on latin1 strings, char code order.
  const sorted = names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.filter((n, i) => i === 0 || n !== sorted[i - 1]).map((n) => (n[0] === ' ' ? n.slice(1) : n));
}

/** One operand of a rich dependency's top level: a simple dependency, or a rich one (`evr` ''). */
export interface RichOperand {
  name: string;
  /** `<`, `>=`, … ('' when unversioned or rich). */
  sense: string;
  evr: string;
}

/**
 * A rich dependency's top level (rpmds.c rpmdsParseRichDep): its first operand, its op,
 * and the second operand; a chain (`a and b and c`) keeps the rest of it as one rich
 * dependency, `(b and c)`. Undefined when rpm cannot parse it.
 */
export function splitRich(dep: string): { left: RichOperand; op: Op; right?: RichOperand } | undefined {
  let depth = 0;
  let op: Op = 'single';
  let chain = false;
  let left: RichOperand | undefined;
  let right: RichOperand | undefined;
  let rightStart = -1;
  const walk: Walk = {
    enter: () => void depth++,
    simple: (name, sense, evr, start) => {
      if (depth !== 1 || chain) return;
      const operand = { name, sense, evr };
      if (!left) left = operand;
      else {
        right = operand;
        rightStart = start;
      }
    },
    op: (o) => {
      if (depth !== 1) return;
      if (op !== 'single') chain = true;
      else op = o;
    },
    leave: (_o, start, end) => {
      depth--;
      if (depth === 0 && chain && rightStart >= 0) right = { name: `(${dep.slice(rightStart, end)}`, sense: '', evr: '' };
      if (depth !== 1 || chain) return;
      // A nested expression is an operand of the top level.
      const operand = { name: dep.slice(start, end), sense: '', evr: '' };
      if (!left) left = operand;
      else {
        right = operand;
        rightStart = start;
      }
    },
  };
  try {
    const { end } = expression(dep, 0, walk, 0);
    if (end !== dep.length) return undefined; // junk after it
  } catch (err) {
    if (err instanceof Unparsable) return undefined;
    throw err;
  }
  return left ? { left, op, ...(right ? { right } : {}) } : undefined;
}
