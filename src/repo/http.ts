// A small HTTP client for repo metadata over undici: keep-alive, retries on transient
// failures, conditional GET, redirects, and streaming a body to a file while hashing
// it. `file://` URLs go through the same API and are read from disk.

import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Agent, Dispatcher } from 'undici';
import type { RepoSource } from '../types/index.js';
import { RepoError } from '../errors.js';
import { hasher, type HashType } from '../hash.js';

/** Cache validators of one response. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

export type GetResult =
  | ({ notModified: true; url: string } & Validators)
  | ({ notModified: false; url: string; body: Buffer } & Validators);

export interface DownloadResult {
  /** Lowercase hex digest of the bytes written, in the algorithm asked for. */
  hex: string;
  size: number;
}

/** TLS, proxy and credentials of one repo (dnf option names). */
export type TransportOptions = Pick<
  RepoSource,
  'sslverify' | 'sslcacert' | 'sslclientcert' | 'sslclientkey' | 'proxy' | 'username' | 'password'
>;

export interface HttpClientOptions extends Partial<TransportOptions> {
  /** Use this dispatcher for every request instead of one built from the options above. */
  dispatcher?: Dispatcher;
  /** Attempts per request, the first included. Default 3. */
  tries?: number;
  /** Backoff before the second attempt; doubles each time. Default 250 ms. */
  retryDelayMs?: number;
  log?: (line: string) => void;
}

/** An HTTP request that failed: names the URL and, when there was one, the status. */
export class RepoHttpError extends RepoError {
  constructor(
    readonly url: string,
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown; code?: string; retryAfterMs?: number },
  ) {
    super(options?.code ?? 'REPO_HTTP', message, { cause: options?.cause, url: redact(url) });
    this.retryAfterMs = options?.retryAfterMs;
  }
  /** From a Retry-After header, when the server sent one. */
  readonly retryAfterMs: number | undefined;
}

const MAX_BODY = 64 * 1024 * 1024; // repomd.xml, metalinks and mirrorlists are small
const MAX_REDIRECTS = 10;
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

// undici costs ~110 ms to load: file:// repos and warm runs that only revalidate a local
// repo never need it.
let undiciModule: Promise<typeof import('undici')> | undefined;
const undici = () => (undiciModule ??= import('undici'));

let sharedAgent: Agent | undefined;
const customDispatchers = new Map<string, Promise<Dispatcher>>();

/** The one keep-alive agent every repo without special TLS/proxy settings shares. */
async function defaultAgent(): Promise<Agent> {
  const { Agent } = await undici();
  sharedAgent ??= new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 8 });
  return sharedAgent;
}

function needsOwnDispatcher(t: Partial<TransportOptions>): boolean {
  const proxy = effectiveProxy(t.proxy);
  return t.sslverify === false || !!t.sslcacert || !!t.sslclientcert || !!t.sslclientkey || !!proxy;
}

/** dnf spells "no proxy" as an empty value or `_none_`. */
function effectiveProxy(proxy: string | undefined): string | undefined {
  return proxy && proxy !== '_none_' ? proxy : undefined;
}

async function readTlsFile(what: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path.startsWith('file://') ? fileURLToPath(path) : path);
  } catch (err) {
    throw new RepoError('REPO_TLS', `cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** One dispatcher per distinct TLS/proxy setting, built once and kept alive. */
function dispatcherFor(t: Partial<TransportOptions>): Promise<Dispatcher> {
  if (!needsOwnDispatcher(t)) return defaultAgent();
  const proxy = effectiveProxy(t.proxy);
  const key = JSON.stringify([t.sslverify !== false, t.sslcacert, t.sslclientcert, t.sslclientkey, proxy]);
  let d = customDispatchers.get(key);
  if (!d) {
    d = (async () => {
      const { Agent, ProxyAgent } = await undici();
      const tls = {
        rejectUnauthorized: t.sslverify !== false,
        ...(t.sslcacert ? { ca: await readTlsFile('sslcacert', t.sslcacert) } : {}),
        ...(t.sslclientcert ? { cert: await readTlsFile('sslclientcert', t.sslclientcert) } : {}),
        ...(t.sslclientkey ? { key: await readTlsFile('sslclientkey', t.sslclientkey) } : {}),
      };
      if (proxy) {
        // Credentials in the proxy URL (http://user:pass@host:port) become Proxy-Authorization.
        return new ProxyAgent({ uri: proxy, requestTls: tls, keepAliveTimeout: 10_000 });
      }
      return new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 8, connect: tls });
    })();
    d.catch(() => customDispatchers.delete(key));
    customDispatchers.set(key, d);
  }
  return d;
}

/** Closes the shared keep-alive agents (idle sockets never keep the process alive anyway). */
export async function closeHttpAgents(): Promise<void> {
  const all: Promise<Dispatcher>[] = [...customDispatchers.values()];
  customDispatchers.clear();
  if (sharedAgent) all.push(Promise.resolve(sharedAgent));
  sharedAgent = undefined;
  await Promise.allSettled(all.map(async (p) => (await p).close()));
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

function retryAfterMs(h: string | string[] | undefined): number | undefined {
  const v = headerValue(h);
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Drops user:password from a URL before it goes into a message or a log line. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

function isTransient(err: unknown): boolean {
  if (err instanceof RepoHttpError) {
    if (err.status !== undefined) return err.status >= 500 || err.status === 429 || err.status === 408;
    err = err.cause;
  }
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

function networkError(url: string, err: unknown): RepoHttpError {
  if (err instanceof RepoError) return err as RepoHttpError;
  const e = err as { code?: string; message?: string };
  const what = [e.code, e.message].filter(Boolean).join(' ');
  return new RepoHttpError(url, undefined, `GET ${redact(url)} failed: ${what || String(err)}`, { cause: err });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Response {
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { dump?: () => Promise<void> };
}

export class HttpClient {
  private readonly tries: number;
  private readonly retryDelayMs: number;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: HttpClientOptions = {}) {
    this.tries = Math.max(1, opts.tries ?? 3);
    this.retryDelayMs = opts.retryDelayMs ?? 250;
    this.log = opts.log ?? (() => {});
  }

  /**
   * GET a small document. With validators, a 304 answer comes back as `notModified`.
   * `file://` URLs are read from disk (never "not modified": the caller compares content).
   */
  async get(url: string, validators?: Validators): Promise<GetResult> {
    if (url.startsWith('file:')) {
      const path = localPath(url);
      try {
        return { notModified: false, url, body: await readFile(path) };
      } catch (err) {
        throw fileError(url, err);
      }
    }
    return this.withRetries(url, async () => {
      const headers: Record<string, string> = {};
      if (validators?.etag) headers['if-none-match'] = validators.etag;
      if (validators?.lastModified) headers['if-modified-since'] = validators.lastModified;
      const res = await this.send(url, headers);
      const v = {
        etag: headerValue(res.headers['etag']),
        lastModified: headerValue(res.headers['last-modified']),
      };
      if (res.status === 304 && validators) {
        await drain(res.body);
        return { notModified: true, url: res.url, ...v };
      }
      const body = await readLimited(res.body, res.url);
      return { notModified: false, url: res.url, body, ...v };
    });
  }

  /**
   * Streams a body into `dest` (created or truncated; the caller owns naming, syncing and
   * renaming: src/atomic.ts) while hashing it with `algo`. Retries restart from the first byte.
   */
  async download(url: string, dest: string, algo: HashType): Promise<DownloadResult> {
    if (url.startsWith('file:')) {
      const path = localPath(url);
      try {
        await stat(path);
      } catch (err) {
        throw fileError(url, err);
      }
      return writeHashed(createReadStream(path), dest, algo).catch((err) => {
        throw fileError(url, err);
      });
    }
    return this.withRetries(url, async () => {
      const res = await this.send(url, {});
      try {
        return await writeHashed(res.body, dest, algo);
      } catch (err) {
        throw networkError(url, err);
      }
    });
  }

  private async withRetries<T>(url: string, attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (raw) {
        const err = networkError(url, raw);
        if (n >= this.tries || !isTransient(err)) throw err;
        const backoff = this.retryDelayMs * 2 ** (n - 1);
        const wait = Math.min(Math.max(backoff, err.retryAfterMs ?? 0), 30_000);
        this.log(`retrying ${redact(url)} in ${wait} ms (attempt ${n + 1} of ${this.tries}): ${err.message}`);
        await sleep(wait);
      }
    }
  }

  /** One request, following redirects; any status but 2xx/304 becomes a RepoHttpError. */
  private async send(url: string, extra: Record<string, string>): Promise<Response> {
    const dispatcher = this.opts.dispatcher ?? (await dispatcherFor(this.opts));
    const origin = new URL(url).origin;
    let current = url;
    for (let hop = 0; ; hop++) {
      const u = new URL(current);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') {
        throw new RepoHttpError(url, undefined, `GET ${redact(url)}: unsupported URL scheme ${u.protocol}`);
      }
      const headers: Record<string, string> = { 'user-agent': 'rpmcompose', ...extra };
      // Credentials go to the repo's own origin only, never to where it redirects.
      if (this.opts.username !== undefined && u.origin === origin) {
        const token = Buffer.from(`${this.opts.username}:${this.opts.password ?? ''}`).toString('base64');
        headers['authorization'] = `Basic ${token}`;
      } else if (u.username || u.password) {
        const token = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`);
        headers['authorization'] = `Basic ${token.toString('base64')}`;
      }
      if (u.username || u.password) {
        u.username = '';
        u.password = '';
      }
      const { request } = await undici();
      const res = await request(u, {
        method: 'GET',
        headers,
        dispatcher,
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
      });
      const status = res.statusCode;
      const location = headerValue(res.headers['location']);
      if ([301, 302, 303, 307, 308].includes(status) && location) {
        await drain(res.body);
        if (hop >= MAX_REDIRECTS) {
          throw new RepoHttpError(url, status, `GET ${redact(url)}: more than ${MAX_REDIRECTS} redirects`);
        }
        current = new URL(location, current).toString();
        continue;
      }
      if ((status >= 200 && status < 300) || status === 304) {
        return { url: current, status, headers: res.headers, body: res.body };
      }
      await drain(res.body);
      const via = current !== url ? ` (redirected to ${redact(current)})` : '';
      throw new RepoHttpError(url, status, `GET ${redact(url)}${via}: HTTP ${status}`, {
        retryAfterMs: retryAfterMs(res.headers['retry-after']),
      });
    }
  }
}

/** A client set up with one repo's TLS, proxy and credentials. */
export function clientForSource(
  src: Partial<TransportOptions>,
  opts: Pick<HttpClientOptions, 'dispatcher' | 'log' | 'tries' | 'retryDelayMs'> = {},
): HttpClient {
  return new HttpClient({
    sslverify: src.sslverify,
    sslcacert: src.sslcacert,
    sslclientcert: src.sslclientcert,
    sslclientkey: src.sslclientkey,
    proxy: src.proxy,
    username: src.username,
    password: src.password,
    ...opts,
  });
}

function localPath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch (err) {
    throw new RepoHttpError(url, undefined, `bad file URL ${url}: ${(err as Error).message}`, { cause: err });
  }
}

function fileError(url: string, err: unknown): RepoHttpError {
  if (err instanceof RepoHttpError) return err;
  const e = err as NodeJS.ErrnoException;
  const what = e.code === 'ENOENT' ? 'no such file' : `${e.code ?? ''} ${e.message}`.trim();
  return new RepoHttpError(url, undefined, `cannot read ${url}: ${what}`, { cause: err, code: 'REPO_IO' });
}

async function drain(body: Response['body']): Promise<void> {
  try {
    if (body.dump) await body.dump();
    else body.resume();
  } catch {
    // The body of a response we do not use; nothing to report.
  }
}

async function readLimited(body: Readable, url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) {
      body.destroy();
      throw new RepoHttpError(url, undefined, `GET ${redact(url)}: body larger than ${MAX_BODY} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Writes a stream to `dest` (truncating it), hashing every byte on the way. */
async function writeHashed(src: Readable, dest: string, algo: HashType): Promise<DownloadResult> {
  const hash = hasher(algo);
  const fh = await open(dest, 'w', 0o644);
  let size = 0;
  try {
    for await (const chunk of src) {
      const buf = chunk as Buffer;
      hash.update(buf);
      size += buf.length;
      let off = 0;
      while (off < buf.length) off += (await fh.write(buf, off)).bytesWritten;
    }
  } catch (err) {
    src.destroy();
    throw err;
  } finally {
    await fh.close();
  }
  return { hex: hash.digest('hex'), size };
}
