import { FsError, formatSize } from '@fstool/blockdev';
import type { PartitionInfo } from './partition-info.js';

/** A partition table that cannot be written as asked: overlap, past the end, too many primaries, … */
export class PartitionTableError extends FsError {
  constructor(message: string) {
    super('PARTITION_TABLE', message);
  }
}

/** A partition type alias or id that the table format cannot express. */
export class PartitionTypeError extends FsError {
  constructor(message: string) {
    super('PARTITION_TYPE', message);
  }
}

/** Partitions that do not fit on the disk; `shortBy` is how many bytes are missing. */
export class LayoutError extends FsError {
  constructor(
    message: string,
    readonly partition: string,
    readonly shortBy: number,
  ) {
    super('LAYOUT', message);
  }
}

/**
 * A partition that runs past the end of the disk: the image was cut short (a partial copy or
 * download). Its filesystem is refused; the partitions that lie whole inside the disk still open.
 */
export class TruncatedPartitionError extends FsError {
  constructor(
    readonly partition: PartitionInfo,
    readonly diskSize: number,
  ) {
    const missing = partition.start + partition.size - diskSize;
    super(
      'TRUNCATED_PARTITION',
      `partition ${partition.index} is truncated: it ends ${formatSize(missing)} past the end of the image ` +
        `(${formatSize(diskSize)}), which was cut short; only partitions inside it can be opened`,
    );
  }
}
