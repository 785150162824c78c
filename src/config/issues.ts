// zod issues → one human line each: `$.images.web.packages: expected a non-empty
// list of package specs, got string`.

import type { z } from 'zod';
import type { JsonPath } from './json.js';
import { composeSchema, groupSchema, imageOptionsSchema, imageSchema, optionsSchema, repoObjectSchema, userSchema } from './schema.js';

type Issue = z.core.$ZodIssue;

export interface Problem {
  path: JsonPath;
  message: string;
}

/** Looks a path up in the parsed JSON; `missing` when a segment is absent. */
function valueAt(root: unknown, path: JsonPath): { found: boolean; value?: unknown } {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, seg)) return { found: false };
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return { found: true, value: cur };
}

/** The JSON type of a value, in the file's words. */
export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

/** A short rendering of a value for "got …". */
function show(v: unknown): string {
  if (typeof v === 'string') {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}…"` : s;
  }
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : `a list of ${v.length}`;
  if (v !== null && typeof v === 'object') return Object.keys(v).length === 0 ? 'an empty object' : 'an object';
  return String(v);
}

const ZOD_DEFAULT = /^(Invalid|Too (big|small)|Unrecognized)/;

/** Wording for an issue whose schema gave no message of its own (should be rare). */
function fallbackExpected(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'array' ? 'a list' : `a ${issue.expected}`;
    case 'too_small':
      return issue.origin === 'array' ? `at least ${issue.minimum} item(s)` : `at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array' ? `at most ${issue.maximum} item(s)` : `at most ${issue.maximum}`;
    case 'invalid_format':
      return issue.format === 'regex' ? `a value matching ${issue.pattern}` : `a valid ${issue.format}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'not_multiple_of':
      return `a multiple of ${issue.divisor}`;
    default:
      return 'a valid value';
  }
}

function expected(issue: Issue): string {
  return ZOD_DEFAULT.test(issue.message) ? fallbackExpected(issue) : issue.message;
}

/** The keys an object at `path` may have, for "did you mean". */
function allowedKeys(path: JsonPath): string[] {
  const p = path.map(String);
  if (p.length === 0) return Object.keys(composeSchema.shape);
  if (p.length === 1 && p[0] === 'options') return Object.keys(optionsSchema.shape);
  if (p.length === 2 && p[0] === 'images') return Object.keys(imageSchema.shape);
  if (p.length === 3 && p[0] === 'images' && p[2] === 'options') return Object.keys(imageOptionsSchema.shape);
  if (p.length === 2 && p[0] === 'repos') return Object.keys(repoObjectSchema.shape);
  if (p.length === 2 && p[0] === 'users') return Object.keys(userSchema.shape);
  if (p.length === 2 && p[0] === 'groups') return Object.keys(groupSchema.shape);
  return [];
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

function suggestion(key: string, allowed: string[]): string {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of allowed) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  if (best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3))) return ` (did you mean "${best}"?)`;
  return allowed.length ? `; expected one of: ${allowed.filter((k) => k !== '$schema').join(', ')}` : '';
}

/** Whether a union branch failed only below its root, i.e. the value had the branch's type. */
function typeMatched(branch: readonly Issue[]): boolean {
  return !branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_union'));
}

/** Turns zod issues into problems with JSON paths, against the parsed JSON `root`. */
export function describeIssues(issues: readonly Issue[], root: unknown, prefix: JsonPath = []): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const path: JsonPath = [...prefix, ...(issue.path as (string | number)[])];
    switch (issue.code) {
      case 'invalid_union': {
        const matched = issue.errors.filter(typeMatched);
        if (matched.length >= 1 && matched[0]!.length > 0) {
          out.push(...describeIssues(matched[0]!, root, path));
          continue;
        }
        break;
      }
      case 'unrecognized_keys': {
        const allowed = allowedKeys(path);
        for (const key of issue.keys) out.push({ path: [...path, key], message: `unknown key${suggestion(key, allowed)}` });
        continue;
      }
      case 'invalid_key': {
        const key = path[path.length - 1];
        const inner = issue.issues[0];
        out.push({ path, message: `expected ${inner ? expected(inner) : 'a valid key'}, got ${JSON.stringify(String(key))}` });
        continue;
      }
      case 'custom':
        if ((issue.params as { full?: boolean } | undefined)?.full) {
          out.push({ path, message: issue.message });
          continue;
        }
        break;
    }
    const at = valueAt(root, path);
    const want = expected(issue);
    if (!at.found) {
      out.push({ path, message: `expected ${want}, but it is missing` });
    } else if (issue.code === 'invalid_type' || issue.code === 'invalid_union') {
      const v = at.value;
      const got = typeof v === 'number' || typeof v === 'boolean' ? `${typeof v} ${v}` : jsonType(v);
      out.push({ path, message: `expected ${want}, got ${got}` });
    } else {
      out.push({ path, message: `expected ${want}, got ${show(at.value)}` });
    }
  }
  return out;
}
