/**
 * A byte-addressed random-access device. Offsets and sizes are plain numbers (exact to 2^53).
 * Reads are exact: a read that cannot be satisfied in full throws, it never returns short.
 */
export interface BlockDevice {
  /** Current size in bytes. A growable device grows when written past its end. */
  readonly size: number;
  readonly readOnly: boolean;
  read(offset: number, into: Uint8Array): Promise<void>;
  write(offset: number, data: Uint8Array): Promise<void>;
  /** Make a range read as zeros. Devices may skip work where they know it already does. */
  zero(offset: number, length: number): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
  /**
   * Where data may be within [offset, offset + length): sorted, disjoint [start, end) ranges;
   * every byte outside them reads as zero. Optional: a device that cannot tell leaves it out, and
   * a copy then reads everything. Lets a conversion cost follow the data, not the virtual size.
   */
  dataRanges?(offset: number, length: number): Promise<DataRange[]>;
}

/** A [start, end) byte range. */
export type DataRange = [number, number];

/** Grow (or shrink) a device's size when the device supports it. */
export interface ResizableDevice extends BlockDevice {
  resize(size: number): Promise<void>;
}

export function isResizable(dev: BlockDevice): dev is ResizableDevice {
  return typeof (dev as Partial<ResizableDevice>).resize === 'function';
}
