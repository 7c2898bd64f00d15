import { type BlockDevice, FsError } from '@fstool/blockdev';

/** The injected failure: an I/O error as a device reports it. */
export class InjectedIoError extends FsError {
  constructor(n: number) {
    super('EIO', `injected I/O error at write ${n}`);
  }
}

/**
 * Passes the first `budget` writes (write and zero calls) through, then fails every later one,
 * like a disk that dies or loses power mid-edit. Reads keep working, so what is on the inner
 * device afterwards is exactly what a crash at that point would leave. `budget = Infinity`
 * counts the writes of a whole operation.
 */
export class FailAfterDevice implements BlockDevice {
  writes = 0;
  failed = false;

  constructor(
    readonly inner: BlockDevice,
    readonly budget: number,
  ) {}

  get size(): number {
    return this.inner.size;
  }
  get readOnly(): boolean {
    return this.inner.readOnly;
  }
  read(offset: number, into: Uint8Array): Promise<void> {
    return this.inner.read(offset, into);
  }
  async write(offset: number, data: Uint8Array): Promise<void> {
    this.#spend();
    await this.inner.write(offset, data);
  }
  async zero(offset: number, length: number): Promise<void> {
    this.#spend();
    await this.inner.zero(offset, length);
  }
  async flush(): Promise<void> {
    if (this.failed) throw new InjectedIoError(this.writes);
    await this.inner.flush();
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  #spend(): void {
    if (this.writes >= this.budget) {
      this.failed = true;
      throw new InjectedIoError(this.writes);
    }
    this.writes++;
  }
}
