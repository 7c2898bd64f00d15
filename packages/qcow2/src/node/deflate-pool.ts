/**
 * Compressed writes on every core: clusters are raw-deflated by node:zlib on worker threads, as
 * QEMU does on its thread pool (same level 6 and 4 KiB window, so any qcow2 reader inflates them).
 * Each cluster is compressed on its own, so the bytes do not depend on which thread took it.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Deflater } from '../options.js';

/** The worker, inline: a separate file would not load where sources run as TypeScript (tests). */
const WORKER = `
const { parentPort } = require('node:worker_threads');
const { deflateRawSync } = require('node:zlib');
parentPort.on('message', ({ id, clusters }) => {
  const out = clusters.map((c) => new Uint8Array(deflateRawSync(c, { level: 6, windowBits: 12 })));
  parentPort.postMessage({ id, out }, out.map((o) => o.buffer));
});
`;

interface Waiting {
  resolve: (out: Uint8Array[]) => void;
  reject: (err: unknown) => void;
}

export class DeflatePool {
  readonly #workers: Worker[];
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 0;

  /** `threads` workers (default: one per core). */
  constructor(threads = availableParallelism()) {
    this.#workers = Array.from({ length: Math.max(1, threads) }, () => {
      const w = new Worker(WORKER, { eval: true });
      w.on('message', ({ id, out }: { id: number; out: Uint8Array[] }) => {
        this.#waiting.get(id)?.resolve(out);
        this.#waiting.delete(id);
      });
      w.on('error', (err) => this.#failAll(err));
      return w;
    });
  }

  /** Splits the clusters over the workers in contiguous shares and keeps their order. */
  readonly deflate: Deflater = async (clusters) => {
    const share = Math.ceil(clusters.length / this.#workers.length);
    const parts = await Promise.all(
      this.#workers.map((w, k) => this.#send(w, clusters.slice(k * share, (k + 1) * share))),
    );
    return parts.flat();
  };

  #send(worker: Worker, clusters: Uint8Array[]): Promise<Uint8Array[]> {
    if (clusters.length === 0) return Promise.resolve([]);
    const id = this.#nextId++;
    // Copies: the caller's clusters are views of its buffer, which stays in use.
    const copies = clusters.map((c) => c.slice());
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage(
        { id, clusters: copies },
        copies.map((c) => c.buffer),
      );
    });
  }

  #failAll(err: unknown): void {
    for (const w of this.#waiting.values()) w.reject(err);
    this.#waiting.clear();
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#failAll(new Error('deflate pool closed'));
  }
}
