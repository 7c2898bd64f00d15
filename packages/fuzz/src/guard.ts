import type { BlockDevice } from '@fstool/blockdev';

/** Thrown into a case that ran past its time limit. Deliberately not an FsError: it is a finding. */
export class HangError extends Error {
  constructor(ms: number) {
    super(`case still running after ${ms} ms`);
    this.name = 'HangError';
  }
}

/** Process memory as the harness sees it; zeros where the platform has no `process`. */
export function memory(): { rss: number; arrayBuffers: number } {
  const proc = (globalThis as { process?: { memoryUsage(): { rss: number; arrayBuffers: number } } }).process;
  if (!proc) return { rss: 0, arrayBuffers: 0 };
  const m = proc.memoryUsage();
  return { rss: m.rss, arrayBuffers: m.arrayBuffers };
}

const yieldToTimers: () => Promise<void> = () =>
  new Promise((resolve) => {
    const g = globalThis as { setImmediate?: (f: () => void) => void };
    if (g.setImmediate) g.setImmediate(resolve);
    else setTimeout(resolve, 0);
  });

/**
 * The watchdog of one case, fed by every device access: past the deadline every access throws
 * a HangError (so a reader looping over I/O stops), and memory is sampled. Every 128 accesses
 * it yields to the timer queue so the case's own timeout can fire.
 */
export class Watchdog {
  readonly deadline: number;
  expired = false;
  peakRss = 0;
  peakArrayBuffers = 0;
  #ops = 0;

  constructor(readonly limitMs: number) {
    this.deadline = performance.now() + limitMs;
    this.sample();
  }

  sample(): void {
    const m = memory();
    if (m.rss > this.peakRss) this.peakRss = m.rss;
    if (m.arrayBuffers > this.peakArrayBuffers) this.peakArrayBuffers = m.arrayBuffers;
  }

  async tick(): Promise<void> {
    if (++this.#ops % 128 !== 0) return this.#check();
    this.sample();
    await yieldToTimers();
    this.#check();
  }

  #check(): void {
    if (performance.now() > this.deadline) {
      this.expired = true;
      throw new HangError(this.limitMs);
    }
  }
}

/** A device that reports every access to a watchdog before passing it on. */
export class WatchedDevice implements BlockDevice {
  constructor(
    readonly inner: BlockDevice,
    readonly dog: Watchdog,
  ) {}
  get size(): number {
    return this.inner.size;
  }
  get readOnly(): boolean {
    return this.inner.readOnly;
  }
  async read(offset: number, into: Uint8Array): Promise<void> {
    await this.dog.tick();
    return this.inner.read(offset, into);
  }
  async write(offset: number, data: Uint8Array): Promise<void> {
    await this.dog.tick();
    return this.inner.write(offset, data);
  }
  async zero(offset: number, length: number): Promise<void> {
    await this.dog.tick();
    return this.inner.zero(offset, length);
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
