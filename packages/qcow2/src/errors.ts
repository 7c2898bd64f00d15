import { FsError } from '@fstool/blockdev';

/** A valid qcow2 feature this implementation does not handle (zstd, extended L2, encryption, …). */
export class Qcow2UnsupportedError extends FsError {
  constructor(message: string) {
    super('UNSUPPORTED', message);
  }
}

/** The bytes are not a qcow2 image at all (bad magic). */
export class NotQcow2Error extends FsError {
  constructor(message: string) {
    super('NOT_QCOW2', message);
  }
}

/** The image is marked corrupt: writing needs a repair (`qemu-img check -r all`) first. */
export class NeedsRepairError extends FsError {
  constructor(message: string) {
    super('NEEDS_REPAIR', message);
  }
}

/** A backing file is missing, loops, or could not be opened. */
export class BackingFileError extends FsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BACKING_FILE', message, options);
  }
}
