// A small pool of worker threads that build layers (worker.ts). Errors come back as the
// stage errors they were, so the CLI maps them to messages and exit codes.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { LayerError, OciError, RepoError, RpmError, type ErrorPlace } from '../errors.js';
import type { Layer } from '../oci/index.js';
import type { LayerJob, SerializedError } from './worker.js';

const STAGE_ERRORS: Record<string, new (code: string, message: string, place?: ErrorPlace) => Error> = { LayerError, OciError, RepoError, RpmError };

function revive(e: SerializedError): Error {
  const Stage = STAGE_ERRORS[e.name];
  if (Stage && e.code) return new Stage(e.code, e.message, e.place);
  const err = new Error(e.message);
  err.stack = e.stack;
  return err;
}

/** Layers built at once: one per core, at most 4 (memory grows with each worker). */
export const LAYER_WORKERS = Math.max(1, Math.min(4, os.availableParallelism()));

export class LayerPool {
  private readonly workers = new Set<Worker>();
  private readonly idle: Worker[] = [];
  private readonly waiting: ((w: Worker) => void)[] = [];
  private next = 0;

  /** `entry`: the worker script (worker.ts); another only in tests of the pool itself. */
  constructor(
    size = LAYER_WORKERS,
    private readonly entry = new URL('./worker.js', import.meta.url),
  ) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  get size(): number {
    return this.workers.size;
  }

  private spawn(): Worker {
    const w = new Worker(this.entry);
    this.workers.add(w);
    return w;
  }

  private acquire(): Promise<Worker> {
    const w = this.idle.pop();
    return w ? Promise.resolve(w) : new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Back to the pool; a worker that died is replaced, so no job is ever posted to it. */
  private release(w: Worker, dead: boolean): void {
    if (dead) {
      this.workers.delete(w);
      void w.terminate();
      w = this.spawn();
    }
    const waiter = this.waiting.shift();
    if (waiter) waiter(w);
    else this.idle.push(w);
  }

  async build(job: LayerJob): Promise<Layer> {
    const w = await this.acquire();
    const id = this.next++;
    let dead = false;
    try {
      return await new Promise<Layer>((resolve, reject) => {
        const onMessage = (msg: { id: number; layer?: Layer; error?: SerializedError }) => {
          if (msg.id !== id) return;
          cleanup();
          if (msg.error) reject(revive(msg.error));
          else resolve(msg.layer!);
        };
        // An uncaught exception in the worker, or the worker gone (out of memory, killed):
        // this job fails, and the worker is not used again.
        const onError = (err: Error) => {
          dead = true;
          cleanup();
          reject(new LayerError('LAYER_WORKER', `a layer worker failed: ${err.message}`, { cause: err }));
        };
        const onExit = (code: number) => {
          dead = true;
          cleanup();
          reject(new LayerError('LAYER_WORKER', `a layer worker exited (code ${code}) while building a layer of ${job.sources.length} packages`));
        };
        const cleanup = () => {
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
        };
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        w.postMessage({ id, job });
      });
    } finally {
      this.release(w, dead);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.terminate()));
    this.workers.clear();
  }
}
