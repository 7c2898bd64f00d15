/**
 * The one error hierarchy of fstool: every failure a caller should expect (bad input, a corrupt
 * image, a full disk) is an `FsError` with a stable `code`. Anything else escaping is a bug.
 */
export class FsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A read or write that reaches outside a device. */
export class OutOfRangeError extends FsError {
  constructor(
    readonly offset: number,
    readonly length: number,
    readonly deviceSize: number,
    what = 'access',
  ) {
    super(
      'OUT_OF_RANGE',
      `${what} of ${length} bytes at offset ${offset} is outside the device of ${deviceSize} bytes`,
    );
  }
}

/** A write to a device opened read-only. */
export class ReadOnlyError extends FsError {
  constructor(what = 'device') {
    super('READ_ONLY', `the ${what} is read-only`);
  }
}

/** Use of a device after `close()`. */
export class ClosedError extends FsError {
  constructor() {
    super('CLOSED', 'the device is closed');
  }
}

/** Bytes on disk that do not make sense: the message names the structure and the field. */
export class CorruptError extends FsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CORRUPT', message, options);
  }
}

/** Arguments that cannot be honoured (bad size, bad alignment, …). */
export class InvalidArgumentError extends FsError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}
