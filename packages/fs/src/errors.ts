import { FsError } from '@fstool/blockdev';
import { escapeName } from './names.js';

/** A path that does not exist in the filesystem or tree. */
export class NotFoundError extends FsError {
  constructor(readonly path: string) {
    super('ENOENT', `${path}: no such file or directory`);
  }
}

export class ExistsError extends FsError {
  constructor(readonly path: string) {
    super('EEXIST', `${path}: already exists`);
  }
}

export class NotDirectoryError extends FsError {
  constructor(readonly path: string) {
    super('ENOTDIR', `${path}: not a directory`);
  }
}

export class IsDirectoryError extends FsError {
  constructor(readonly path: string) {
    super('EISDIR', `${path}: is a directory`);
  }
}

export class NotEmptyError extends FsError {
  constructor(readonly path: string) {
    super('ENOTEMPTY', `${path}: directory not empty`);
  }
}

/** Out of blocks, clusters or inodes: says what was needed and what was available. */
export class NoSpaceError extends FsError {
  constructor(message: string) {
    super('ENOSPC', message);
  }
}

/** A feature, kind of entry or value that this filesystem or driver cannot handle. */
export class UnsupportedError extends FsError {
  constructor(message: string) {
    super('UNSUPPORTED', message);
  }
}

/** A bad path (NUL, a component over 255 bytes, climbing above the root); shown escaped (names.ts). */
export class InvalidPathError extends FsError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super('EINVAL', `"${escapeName(path)}": ${reason}`);
  }
}
