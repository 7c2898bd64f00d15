import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { type FileHandle, open } from 'node:fs/promises';
import { FsError } from '@fstool/blockdev';

/** Another process holds a conflicting lock on the image. */
export class LockedError extends FsError {
  constructor(message: string) {
    super('LOCKED', message);
  }
}

export type LockMode = 'shared' | 'exclusive';

export interface LockOptions {
  /** Block until the lock is free instead of failing at once. */
  wait?: boolean;
  /** Called once before blocking, so the user learns why nothing happens. */
  onWait?: (message: string) => void;
}

/** flock(1)'s exit status when `-n` finds the lock taken (chosen with `-E`, distinct from its own errors). */
const CONFLICT = 75;

/**
 * An flock(2) lock on an image file, as qemu-img and mtools take: writers exclusive, readers
 * shared, so two writers (or a writer and a reader) of one file — even of two partitions of one
 * qcow2 — never overlap. Node has no flock, so util-linux flock(1) applies it to an open file
 * description it inherits from us as fd 3; the lock belongs to that description, which we keep
 * open, so it outlives the helper and is released when we close it or die (even by SIGKILL).
 * Without flock(1) on the host (not Linux) the lock is skipped.
 */
export class ImageLock {
  private constructor(private readonly fh: FileHandle | undefined) {}

  static async take(path: string, mode: LockMode, opts: LockOptions = {}): Promise<ImageLock> {
    const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
      throw new FsError(err.code ?? 'EIO', `cannot open ${path}: ${err.message}`, { cause: err });
    });
    try {
      const what = mode === 'exclusive' ? 'write to' : 'read';
      let status = await runFlock(fh, mode, false);
      if (status === CONFLICT && opts.wait) {
        opts.onWait?.(`waiting for another process to release ${path}`);
        status = await runFlock(fh, mode, true);
      }
      if (status === CONFLICT) {
        throw new LockedError(
          `cannot ${what} ${path}: another process is using it (locked); try again when it is done, or pass --wait`,
        );
      }
      if (status === undefined) {
        await fh.close();
        return new ImageLock(undefined);
      }
      if (status !== 0) throw new FsError('LOCK', `cannot lock ${path}: flock exited with status ${status}`);
      return new ImageLock(fh);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async release(): Promise<void> {
    await this.fh?.close();
  }
}

/** Runs `flock [-s|-x] [-n] 3` on our descriptor; the exit status, or undefined when flock(1) is missing. */
async function runFlock(fh: FileHandle, mode: LockMode, wait: boolean): Promise<number | undefined> {
  const args = [mode === 'exclusive' ? '-x' : '-s', ...(wait ? [] : ['-n']), '-E', String(CONFLICT), '3'];
  const child = spawn('flock', args, { stdio: ['ignore', 'ignore', 'ignore', fh.fd] });
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    return code ?? -1;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
