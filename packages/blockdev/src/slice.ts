import { checkRange } from './check.js';
import type { BlockDevice, DataRange } from './device.js';
import { ReadOnlyError } from './errors.js';

/**
 * A bounds-checked window [start, start+size) of another device, e.g. one partition of a disk.
 * Slices nest; offsets are relative to the window. Closing a slice leaves the parent open.
 */
export class SliceDevice implements BlockDevice {
  readonly readOnly: boolean;

  constructor(
    readonly parent: BlockDevice,
    readonly start: number,
    readonly size: number,
    opts: { readOnly?: boolean } = {},
  ) {
    checkRange(start, size, parent.size, 'slice');
    this.readOnly = (opts.readOnly ?? false) || parent.readOnly;
  }

  async read(offset: number, into: Uint8Array): Promise<void> {
    checkRange(offset, into.length, this.size, 'read');
    await this.parent.read(this.start + offset, into);
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    if (this.readOnly) throw new ReadOnlyError('slice');
    checkRange(offset, data.length, this.size, 'write');
    await this.parent.write(this.start + offset, data);
  }

  async zero(offset: number, length: number): Promise<void> {
    if (this.readOnly) throw new ReadOnlyError('slice');
    checkRange(offset, length, this.size, 'zero');
    await this.parent.zero(this.start + offset, length);
  }

  /** The parent's data ranges inside the window (all of it when the parent cannot tell). */
  async dataRanges(offset: number, length: number): Promise<DataRange[]> {
    checkRange(offset, length, this.size, 'dataRanges');
    if (!this.parent.dataRanges) return length > 0 ? [[offset, offset + length]] : [];
    const found = await this.parent.dataRanges(this.start + offset, length);
    return found.map(([a, b]) => [a - this.start, b - this.start]);
  }

  flush(): Promise<void> {
    return this.parent.flush();
  }

  async close(): Promise<void> {}
}
