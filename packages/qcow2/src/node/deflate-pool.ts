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

/** Clusters per job: small jobs keep every worker busy to the end of a batch, whatever each cluster costs. */
const JOB = 8;
/** Jobs handed to one worker at a time, so it never waits for the next one to arrive. */
const DEPTH = 2;

interface Job {
  id: number;
  clusters: Uint8Array<ArrayBuffer>[];
  resolve: (out: Uint8Array[]) => void;
  reject: (err: unknown) => void;
}

export class DeflatePool {
  readonly #workers: Worker[];
  /** Jobs sent to a worker, by id. */
  readonly #running = new Map<number, Job>();
  readonly #queue: Job[] = [];
  /** Free job slots: each worker appears once per job it can take now. */
  readonly #free: Worker[] = [];
  #nextId = 0;
  #failure: unknown;

  /** `threads` workers (default: one per core). */
  constructor(threads = availableParallelism()) {
    this.#workers = Array.from({ length: Math.max(1, threads) }, () => {
      const w = new Worker(WORKER, { eval: true });
      w.on('message', ({ id, out }: { id: number; out: Uint8Array[] }) => {
        this.#running.get(id)?.resolve(out);
        this.#running.delete(id);
        this.#free.push(w);
        this.#pump();
      });
      w.on('error', (err) => this.#failAll(err));
      return w;
    });
    for (let d = 0; d < DEPTH; d++) this.#free.push(...this.#workers);
  }

  /** Deflates the clusters in small jobs taken by whichever worker is free; keeps their order. */
  readonly deflate: Deflater = async (clusters) => {
    const parts: Promise<Uint8Array[]>[] = [];
    for (let k = 0; k < clusters.length; k += JOB) {
      // Copies: the caller's clusters are views of its buffer, which stays in use.
      const copies = clusters.slice(k, k + JOB).map((c) => c.slice());
      parts.push(
        new Promise((resolve, reject) => {
          if (this.#failure !== undefined) return reject(this.#failure);
          this.#queue.push({ id: this.#nextId++, clusters: copies, resolve, reject });
        }),
      );
    }
    this.#pump();
    return (await Promise.all(parts)).flat();
  };

  #pump(): void {
    while (this.#queue.length > 0 && this.#free.length > 0) {
      const job = this.#queue.shift() as Job;
      const worker = this.#free.shift() as Worker;
      this.#running.set(job.id, job);
      worker.postMessage(
        { id: job.id, clusters: job.clusters },
        job.clusters.map((c) => c.buffer),
      );
    }
  }

  #failAll(err: unknown): void {
    this.#failure ??= err;
    for (const job of this.#running.values()) job.reject(err);
    for (const job of this.#queue) job.reject(err);
    this.#running.clear();
    this.#queue.length = 0;
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#failAll(new Error('deflate pool closed'));
  }
}
