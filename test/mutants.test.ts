// scripts/mutants.sh runs each mutation of the orchestration against the tests that must
// catch it (minutes: not part of npm test). What npm test does check is that every
// mutant still applies to the code it mutates and names tests that exist, so the mutants
// cannot quietly rot as the code moves.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { root } from './helpers.js';

const dir = path.join(root, 'scripts/mutants');

test('every mutant applies to the current tree and names existing test files', () => {
  const patches = readdirSync(dir).filter((f) => f.endsWith('.patch'));
  assert.ok(patches.length >= 10, `only ${patches.length} mutants`);
  for (const p of patches) {
    const text = readFileSync(path.join(dir, p), 'utf8');
    assert.match(text, /^Mutation: .+$/m, `${p}: no Mutation: line`);
    const tests = /^Tests: (.+)$/m.exec(text)?.[1]?.split(/\s+/) ?? [];
    assert.ok(tests.length > 0, `${p}: no Tests: line`);
    for (const t of tests) assert.ok(existsSync(path.join(root, t)), `${p}: ${t} does not exist`);
    const check = spawnSync('git', ['apply', '--check', path.join(dir, p)], { cwd: root, encoding: 'utf8' });
    assert.equal(check.status, 0, `${p} no longer applies: ${check.stderr}`);
  }
});
