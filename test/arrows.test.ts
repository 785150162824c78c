// The arrows between stages: dependency-cruiser with .dependency-cruiser.cjs over src/, and a
// comment-blind grep for what an import graph cannot see (printing, exiting, rename, hashing,
// loading the addon). Each check runs twice: on src/, where it must find nothing, and on
// test/fixtures/arrows/, a tree that breaks every rule on purpose, where it must find exactly
// the planted violations, so that a rule whose path regex no longer matches anything fails
// here instead of passing silently.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';

/** dist/test → the repo root. */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = path.join(root, 'test/fixtures/arrows');
const execFileAsync = promisify(execFile);

/** The folders of the target layout (README), whose names the rules are written against. */
const STAGES = ['types', 'config', 'repo', 'solve', 'lock', 'plan', 'rpm', 'layer', 'oci', 'pipeline', 'cli'];

// ---- dependency-cruiser --------------------------------------------------------------

interface Violation {
  type: string;
  from: string;
  to: string;
  rule: { name: string; severity: string };
}
interface CruiseResult {
  modules: { source: string }[];
  summary: { violations: Violation[]; totalCruised: number; ruleSetUsed: { forbidden?: { name: string }[] } };
}

/** `depcruise src --config .dependency-cruiser.cjs` run in `cwd`, as `npm run arrows` does. */
async function cruise(cwd: string): Promise<CruiseResult> {
  const bin = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  const config = path.join(root, '.dependency-cruiser.cjs');
  const { stdout } = await execFileAsync(process.execPath, [bin, 'src', '--config', config, '--output-type', 'json'], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  return JSON.parse(stdout) as CruiseResult;
}

/** Both cruises start at once: they are the slow part of this file (a second or two each). */
function started<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {}); // reported by the test that awaits it
  return p;
}
const cruises = { src: started(cruise(root)), fixture: started(cruise(fixture)) };

/** One line per violation; an npm target without the `../../…` that depends on the cwd. */
function describeViolation(v: Violation): string {
  return `${v.rule.name}: ${v.from} → ${v.to.replace(/^.*\/node_modules\//, 'node_modules/')}`;
}

/** Every .ts file under `dir`, relative to `base`, with / separators. */
function tsFiles(dir: string, base: string): string[] {
  return (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.relative(base, path.join(dir, f)).split(path.sep).join('/'))
    .sort();
}

describe('stage arrows (dependency-cruiser)', () => {
  test('src/ keeps every arrow of the target layout', async (t) => {
    const result = await cruises.src;
    // A config that cruised nothing (a bad `src` argument, an over-wide exclude) would pass
    // vacuously: every source file must have been seen.
    const seen = new Set(result.modules.map((m) => m.source));
    const unseen = tsFiles(path.join(root, 'src'), root).filter((f) => !seen.has(f));
    assert.deepEqual(unseen, [], 'source files depcruise did not cruise');
    const missing = STAGES.filter((s) => !existsSync(path.join(root, 'src', s)));
    if (missing.length > 0) t.diagnostic(`target folders not in src/ yet (their rules match nothing there): ${missing.join(', ')}`);
    const violations = result.summary.violations.map(describeViolation);
    if (violations.length > 0) assert.fail(`dependency rules broken (.dependency-cruiser.cjs says why):\n  ${violations.join('\n  ')}`);
  });

  test('every rule fires on the fixture tree that breaks them all, and nothing else does', async () => {
    const result = await cruises.fixture;
    const got = result.summary.violations.map(describeViolation).sort();
    const want = [
      'only-cli-imports-pipeline: src/lock/bad.ts → src/pipeline/index.ts',
      'only-cli-imports-cli: src/layer/bad.ts → src/cli/main.ts',
      'oci-knows-no-rpm: src/oci/bad.ts → src/layer/bad.ts',
      'oci-knows-no-rpm: src/oci/bad.ts → src/repo/b.ts',
      'oci-knows-no-rpm: src/oci/bad.ts → src/rpm/ok.ts',
      'oci-knows-no-rpm: src/oci/bad.ts → src/solve/ok.ts',
      'plan-is-pure: src/plan/bad.ts → fs',
      'plan-is-pure: src/plan/bad.ts → fs/promises',
      'plan-is-pure: src/plan/bad.ts → worker_threads',
      'plan-is-pure: src/plan/bad.ts → node_modules/undici/index.js',
      'plan-is-pure: src/plan/bad.ts → src/native.ts',
      'plan-is-pure: src/plan/bad.ts → src/atomic.ts',
      'plan-is-pure: src/plan/bad.ts → src/repo/b.ts',
      'types-are-leaves: src/types/bad.ts → src/solve/ok.ts',
      'only-native-loads-addon: src/rpm/bad.ts → build/Release/addon.node',
      // A folder cycle through four different files: config/a → repo/b, repo/c → config/vars.
      'no-stage-cycle: src/config → src/repo',
      'no-stage-cycle: src/repo → src/config',
      'no-shared-module-cycle: src/bad-shared.ts → src/solve/uses-shared.ts',
      'no-unresolvable: src/config/bad.ts → ./missing.js',
    ];
    // A missing line is a rule that went dead (a path regex that matches nothing any more);
    // an unexpected one is a rule that now fires on allowed arrows (the ok*.ts files).
    const missing = want.filter((w) => !got.includes(w));
    const unexpected = got.filter((g) => !want.includes(g));
    if (missing.length + unexpected.length > 0) {
      assert.fail(`not reported:\n  ${missing.join('\n  ') || '-'}\nreported, not planted:\n  ${unexpected.join('\n  ') || '-'}`);
    }
    assert.equal(got.length, want.length, 'each planted violation once');
    // A rule added to the config without a planted violation here would be untested.
    const rules = (result.summary.ruleSetUsed.forbidden ?? []).map((r) => r.name).sort();
    assert.deepEqual([...new Set(result.summary.violations.map((v) => v.rule.name))].sort(), rules);
    assert.ok(result.summary.violations.every((v) => v.rule.severity === 'error'), 'every rule is an error');
  });
});

// ---- grep, comments excluded ---------------------------------------------------------

interface GrepRule {
  name: string;
  /** Why, printed with the offenders. */
  why: string;
  pattern: RegExp;
  /** Whether the file (repo-relative, / separators) may contain the pattern. */
  allowed: (file: string) => boolean;
}

const GREP_RULES: GrepRule[] = [
  {
    name: 'output-only-in-cli',
    why: 'only src/cli/ prints or exits; every other module returns or throws (process.exit also covers process.exitCode)',
    pattern: /\bprocess\s*\.\s*(stdout|stderr|exit)|\bconsole\s*\./,
    allowed: (f) => f.startsWith('src/cli/'),
  },
  {
    name: 'rename-only-in-atomic',
    why: 'every write that must not be seen half-done goes through src/atomic.ts (temp + fsync + rename)',
    pattern: /\brename(Sync)?\s*\(/,
    allowed: (f) => f === 'src/atomic.ts',
  },
  {
    name: 'hash-only-in-hash',
    why: 'every digest is made in src/hash.ts',
    pattern: /\bcreateHash\s*\(/,
    allowed: (f) => f === 'src/hash.ts',
  },
  {
    name: 'addon-only-in-native',
    why: 'src/native.ts loads the compiled addon by a computed path, which the import graph cannot see',
    pattern: /build\/Release|\.node['"`]|\bcreateRequire\s*\(|\bdlopen\s*\(/,
    allowed: (f) => f === 'src/native.ts',
  },
];

/**
 * `text` with every comment (`//`, `/* *\/`, JSDoc) blanked to spaces, line breaks kept so
 * that line numbers hold. Comments are found as TypeScript's parser finds them, between the
 * tokens of the syntax tree, so a `//` or `/*` inside a string, a template or a regex literal
 * opens no comment.
 */
function stripComments(text: string): string {
  const sf = ts.createSourceFile('scan.ts', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out = text.split('');
  const blank = (pos: number, end: number): void => {
    for (let i = pos; i < end; i++) if (out[i] !== '\n' && out[i] !== '\r') out[i] = ' ';
  };
  const visit = (node: ts.Node): void => {
    const kids = node.getChildren(sf);
    if (kids.length === 0) {
      // A token: the comments before it (from its full start) and those after it on its line.
      ts.forEachLeadingCommentRange(text, node.pos, blank);
      ts.forEachTrailingCommentRange(text, node.end, blank);
      return;
    }
    // JSDoc nodes lie inside a comment, which the next real token's trivia covers.
    for (const k of kids) if (k.kind < ts.SyntaxKind.FirstJSDocNode || k.kind > ts.SyntaxKind.LastJSDocNode) visit(k);
  };
  visit(sf);
  return out.join('');
}

const stripped = new Map<string, string[]>();

/** `rule file:line: source` for each line of `text` where a rule's pattern occurs outside comments. */
function grepFile(file: string, text: string, rules: GrepRule[] = GREP_RULES): string[] {
  let code = stripped.get(text);
  if (!code) stripped.set(text, (code = stripComments(text).split('\n')));
  const source = text.split('\n');
  const hits: string[] = [];
  for (const rule of rules) {
    if (rule.allowed(file)) continue;
    code.forEach((line, i) => {
      if (rule.pattern.test(line)) hits.push(`${rule.name} ${file}:${i + 1}: ${source[i]!.trim()}`);
    });
  }
  return hits;
}

describe('grep rules (comments excluded)', () => {
  const files = tsFiles(path.join(root, 'src'), root);
  const texts = new Map(files.map((f) => [f, readFileSync(path.join(root, f), 'utf8')]));

  test('the scanner reports the real uses in its fixture and none of the commented ones', () => {
    const text = readFileSync(path.join(fixture, 'grep.ts'), 'utf8');
    const got = grepFile('grep.ts', text).map((h) => h.replace(/: .*/, ''));
    assert.deepEqual(got, [
      'output-only-in-cli grep.ts:9',
      'rename-only-in-atomic grep.ts:7',
      'rename-only-in-atomic grep.ts:10',
      'hash-only-in-hash grep.ts:8',
      'addon-only-in-native grep.ts:11',
    ]);
    // Where a rule allows the file, it reports nothing there.
    assert.deepEqual(grepFile('src/cli/x.ts', text).filter((h) => h.startsWith('output-only-in-cli')), []);
    assert.deepEqual(grepFile('src/atomic.ts', text).filter((h) => h.startsWith('rename-only-in-atomic')), []);
    assert.deepEqual(grepFile('src/hash.ts', text).filter((h) => h.startsWith('hash-only-in-hash')), []);
    assert.deepEqual(grepFile('src/native.ts', text).filter((h) => h.startsWith('addon-only-in-native')), []);
  });

  for (const rule of GREP_RULES) {
    test(`${rule.name}: ${rule.why}`, () => {
      const hits = files.flatMap((f) => grepFile(f, texts.get(f)!, [rule]));
      if (hits.length > 0) assert.fail(`${rule.why}:\n  ${hits.map((h) => h.slice(rule.name.length + 1)).join('\n  ')}`);
    });
  }
});
