// A small pool of worker threads that build layers (worker.ts). Errors come back as the
// stage errors they were, so the CLI maps them to messages and exit codes.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { LayerError, OciError, RepoError, RpmError } from '../errors.js';
import type { Layer } from '../oci/index.js';
import type { LayerJob, SerializedError } from './worker.js';

const STAGE_ERRORS: Record<string, new (code: string, message: string) => Error> = { LayerError, OciError, RepoError, RpmError };

function revive(e: SerializedError): Error {
  const Stage = STAGE_ERRORS[e.name];
  if (Stage && e.code) return new Stage(e.code, e.message);
  const err = new Error(e.message);
  err.stack = e.stack;
  return err;
}

/** Layers built at once: one per core, at most 4 (memory grows with each worker). */
export const LAYER_WORKERS = Math.max(1, Math.min(4, os.availableParallelism()));

export class LayerPool {
  private readonly workers: Worker[];
  private readonly idle: Worker[];
  private readonly waiting: ((w: Worker) => void)[] = [];
  private next = 0;

  constructor(size = LAYER_WORKERS) {
    const entry = new URL('./worker.js', import.meta.url);
    this.workers = Array.from({ length: size }, () => new Worker(entry));
    this.idle = [...this.workers];
  }

  get size(): number {
    return this.workers.length;
  }

  private acquire(): Promise<Worker> {
    const w = this.idle.pop();
    return w ? Promise.resolve(w) : new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(w: Worker): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter(w);
    else this.idle.push(w);
  }

  async build(job: LayerJob): Promise<Layer> {
    const w = await this.acquire();
    const id = this.next++;
    try {
      return await new Promise<Layer>((resolve, reject) => {
        const onMessage = (msg: { id: number; layer?: Layer; error?: SerializedError }) => {
          if (msg.id !== id) return;
          cleanup();
          if (msg.error) reject(revive(msg.error));
          else resolve(msg.layer!);
        };
        const onError = (err: Error) => {
          cleanup();
          reject(err);
        };
        const cleanup = () => {
          w.off('message', onMessage);
          w.off('error', onError);
        };
        w.on('message', onMessage);
        w.on('error', onError);
        w.postMessage({ id, job });
      });
    } finally {
      this.release(w);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
