// Worker-thread entry (pool.ts starts it): one layer, its tar written from the RPM payloads and
// compressed into the blob store, off the main thread. Payload decoding (xz, zstd) and
// the tar are synchronous JavaScript and addon work; in workers, two layers really do
// run on two cores.
import { parentPort } from 'node:worker_threads';
import type { ErrorPlace } from '../errors.js';
import { BlobStore, compressLayer } from '../oci/index.js';
import { zstdCompressor } from '../rpm/decompress.js';
import type { LayerEntries } from './entries.js';
import { layerTar, type LayerSource } from './stream.js';

export interface LayerJob {
  sources: LayerSource[];
  content: LayerEntries;
  storeRoot: string;
  compression: 'gzip' | 'zstd';
  level?: number;
  history: string;
}

export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  stack?: string;
  place?: ErrorPlace;
}

parentPort?.on('message', async (msg: { id: number; job: LayerJob }) => {
  const { id, job } = msg;
  try {
    // Structured clone hands Buffers over as Uint8Arrays: make them Buffers again.
    for (const e of job.content.entries) if (e.kind === 'file' && e.caps) e.caps = Buffer.from(e.caps);
    const store = await BlobStore.open(job.storeRoot);
    const layer = await compressLayer(layerTar(job.sources, job.content), store, {
      compression: job.compression,
      level: job.level,
      compressor: job.compression === 'zstd' ? () => zstdCompressor(job.level ?? 3) : undefined,
      history: job.history,
    });
    parentPort!.postMessage({ id, layer });
  } catch (err) {
    const e = err as Error & { code?: string; place?: ErrorPlace };
    const error: SerializedError = { name: e.name ?? 'Error', code: e.code, message: e.message ?? String(err), stack: e.stack, place: e.place };
    parentPort!.postMessage({ id, error });
  }
});
