// Every kind of host-cache entry tampered with, then a compose: the result equals the
// build from an untampered cache, or the command fails; never exit 0 with other content,
// and a layout written before never changes (docs/RELIABILITY.md).
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { readRpm } from '../src/rpm/package.js';
import { assertSameFiles, cli, filesUnder, ok, tmp, workspace, type CliResult } from './helpers.js';
import { validateLayout } from './validate.js';

/** Flips `mask` into the byte at `at`. */
function flip(file: string, at: number, mask = 0xff): void {
  const b = readFileSync(file);
  assert.ok(at >= 0 && at < b.length, `${file}: offset ${at} of ${b.length}`);
  b[at] = b[at]! ^ mask;
  writeFileSync(file, b);
}

/** Offset in `file` of the data of main-header tag `tag` (the header's index, then its data store). */
async function tagData(file: string, tag: number): Promise<number> {
  const { payloadOffset, header } = await readRpm(file);
  const blob = header.headerBlob;
  const start = payloadOffset - blob.length;
  const count = blob.readUInt32BE(8);
  for (let i = 0; i < count; i++) {
    if (blob.readUInt32BE(16 + i * 16) === tag) return start + 16 + count * 16 + blob.readInt32BE(16 + i * 16 + 8);
  }
  assert.fail(`${file} has no tag ${tag}`);
}

describe('a tampered host cache never yields other content', () => {
  const w = workspace({ edge: { packages: ['edgecases'] }, hello: { packages: ['hello-static'] } });
  const reference = path.join(w.dir, 'reference');
  const warm = path.join(w.dir, 'warm-cache');
  let first: Map<string, Buffer>;
  before(() => {
    ok(cli(['compose', w.file, '--cache-dir', warm, '-o', reference, '-q'], { cwd: w.dir, env: { SOURCE_DATE_EPOCH: '' } }));
    validateLayout(reference);
    first = new Map(filesUnder(reference).map((f) => [f, readFileSync(path.join(reference, f))]));
  });

  /** A copy of the warm cache, tampered by `how`, then a compose into a fresh layout. */
  async function composeTampered(how: (cache: string) => void | Promise<void>, ...args: string[]): Promise<{ r: CliResult; out: string }> {
    const cache = path.join(tmp('rpmcompose-tamper-'), 'cache');
    cpSync(warm, cache, { recursive: true });
    await how(cache);
    const out = path.join(path.dirname(cache), 'out');
    const r = cli(['compose', w.file, '--cache-dir', cache, '-o', out, '-q', ...args], { cwd: w.dir, env: { SOURCE_DATE_EPOCH: '' } });
    // The layout written before, from the same cache's original, never changes.
    for (const [f, bytes] of first) assert.ok(readFileSync(path.join(reference, f)).equals(bytes), `${f} of the earlier layout changed`);
    return { r, out };
  }
  const rpmOf = (cache: string, name: string) => readdirSync(path.join(cache, 'rpms')).map((f) => path.join(cache, 'rpms', f)).find((f) => readFileSync(f).includes(Buffer.from(`${name}-1.0`)))!;
  const sameAsReference = ({ r, out }: { r: CliResult; out: string }, what: string) => {
    assert.equal(r.status, 0, `${what}: ${r.stderr}`);
    assertSameFiles(reference, out, what);
  };

  test('an RPM header (FILEMODES made setuid): detected by the header digest, the RPM fetched again', async () => {
    sameAsReference(await composeTampered(async (cache) => flip(rpmOf(cache, 'edgecases'), (await tagData(rpmOf(cache, 'edgecases'), 1030)) + 2, 0x08)), 'header');
  });

  test('an RPM payload, the layer not cached: detected by the payload digest, fetched again; offline it fails', async () => {
    const tamper = async (cache: string) => {
      const file = rpmOf(cache, 'edgecases');
      const { payloadOffset } = await readRpm(file);
      flip(file, payloadOffset + Math.floor((readFileSync(file).length - payloadOffset) / 2));
      for (const f of readdirSync(path.join(cache, 'layers/index'))) writeFileSync(path.join(cache, 'layers/index', f), 'gone');
    };
    sameAsReference(await composeTampered(tamper), 'payload');
    const offline = await composeTampered(tamper, '--offline');
    assert.equal(offline.r.status, 2, offline.r.stderr);
    assert.match(offline.r.stderr, /offline, and 1 package never fetched/);
  });

  test('the unread end of an RPM payload (a language left out): still hashed, the RPM discarded and fetched again', () => {
    // hello-static's payload ends with /usr/share/locale/de/…: with langs ["en"] the layer
    // stops reading before it, yet the payload digest covers it.
    const l = workspace({ hello: { packages: ['hello-static'] } }, { options: { langs: ['en'] } });
    const cache = path.join(l.dir, 'cache');
    const ref = path.join(l.dir, 'ref');
    ok(cli(['compose', l.file, '--cache-dir', cache, '-o', ref, '-q'], { cwd: l.dir }));
    const file = rpmOf(cache, 'hello-static');
    const original = readFileSync(file);
    flip(file, original.length - 40);
    for (const f of readdirSync(path.join(cache, 'layers/index'))) writeFileSync(path.join(cache, 'layers/index', f), 'gone');
    const out = path.join(l.dir, 'out');
    ok(cli(['compose', l.file, '--cache-dir', cache, '-o', out, '-q'], { cwd: l.dir }));
    assertSameFiles(ref, out, 'unread payload end');
    assert.ok(readFileSync(rpmOf(cache, 'hello-static')).equals(original), 'the cache holds the RPM as the repo serves it again');
  });

  test('repo metadata (primary): detected by its checksum, fetched again', async () => {
    sameAsReference(
      await composeTampered((cache) => {
        const repoDir = path.join(cache, 'repos', readdirSync(path.join(cache, 'repos'))[0]!, 'repodata');
        const primary = readdirSync(repoDir).find((f) => f.includes('-primary.'))!;
        flip(path.join(repoDir, primary), 100);
        // Without the .solv, the primary is what is read.
        for (const f of readdirSync(path.join(cache, 'solv'))) writeFileSync(path.join(cache, 'solv', f), '');
      }),
      'primary',
    );
  });

  test('a .solv whose versions were changed: detected by the digest beside it, the repo loaded from its primary', async () => {
    const tamper = (cache: string) => {
      let changed = 0;
      for (const f of readdirSync(path.join(cache, 'solv')).filter((f) => f.endsWith('.solv'))) {
        const bytes = readFileSync(path.join(cache, 'solv', f));
        const at = bytes.indexOf('2.14.5-1'); // setup's version, as libsolv stores it
        if (at < 0) continue;
        bytes.write('2.14.9-1', at);
        writeFileSync(path.join(cache, 'solv', f), bytes);
        changed++;
      }
      assert.equal(changed, 1);
    };
    const { out } = await composeTampered(tamper);
    assertSameFiles(reference, out, '.solv');
    const resolved = (cache: string) => cli(['resolve', w.file, '--cache-dir', cache, '--json', '-q'], { cwd: w.dir }).stdout;
    const cache = path.join(tmp('rpmcompose-tamper-'), 'cache');
    cpSync(warm, cache, { recursive: true });
    const want = resolved(cache);
    tamper(cache);
    assert.equal(resolved(cache), want, 'the same versions as from an untampered cache');
    assert.match(want, /"version": "2\.14\.5"/);
  });

  test('a layer blob: hashed as it enters the output, discarded, the layer built again', async () => {
    sameAsReference(
      await composeTampered((cache) => {
        const blobs = path.join(cache, 'layers/blobs/sha256');
        const biggest = readdirSync(blobs).sort((a, b) => readFileSync(path.join(blobs, b)).length - readFileSync(path.join(blobs, a)).length)[0]!;
        flip(path.join(blobs, biggest), 1000);
      }),
      'layer blob',
    );
  });

  test('a layer index entry pointed at another layer: discarded, the layer built again', async () => {
    sameAsReference(
      await composeTampered((cache) => {
        const index = path.join(cache, 'layers/index');
        const [a, b] = readdirSync(index).map((f) => path.join(index, f));
        const ea = JSON.parse(readFileSync(a!, 'utf8'));
        const eb = JSON.parse(readFileSync(b!, 'utf8'));
        ea.layer = eb.layer; // a valid blob, another layer's
        writeFileSync(a!, JSON.stringify(ea));
      }),
      'layer index',
    );
  });
});
