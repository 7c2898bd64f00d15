import { FsError } from '@fstool/blockdev';

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
