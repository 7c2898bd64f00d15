import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ImageLock, type LockOptions } from './lock.js';

/** Temporary outputs being written right now, for removeTemporaryFiles(). */
const live = new Set<string>();

/**
 * Removes every temporary output this process is writing. For signal handlers, which must not
 * leave `.NAME.fstool-PID-XXXX.tmp` files (often hundreds of MB) behind; synchronous on purpose.
 */
export function removeTemporaryFiles(): void {
  for (const tmp of live) rmSync(tmp, { force: true });
  live.clear();
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Temporary files for `target` left by fstool processes that no longer run (killed with
 * SIGKILL, or a crashed host): the name carries the writer's pid, so they can be told from a
 * concurrent build's file.
 */
export function staleTemporaryFiles(target: string): string[] {
  const dir = dirname(target);
  const prefix = `.${basename(target)}.fstool-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => {
      const m = /^(\d+)-[0-9a-f]+\.tmp$/.exec(n.slice(prefix.length));
      return n.startsWith(prefix) && m !== null && !isRunning(Number(m[1]));
    })
    .map((n) => join(dir, n));
}

export interface AtomicWriteOptions {
  onWarning?: (message: string) => void;
  /** Told, before `fn` runs, that `target` exists and will be replaced (as qemu-img convert does). */
  onReplace?: (target: string) => void;
  lock?: LockOptions;
}

/**
 * Runs `fn` with a temporary path beside `target` and renames it into place only when `fn`
 * succeeds; on any failure the temporary file is removed and `target` is untouched. An existing
 * target is locked exclusively meanwhile (`lock`: wait for it), so an image another process is
 * editing is not replaced under it. Stale temporary files of killed runs are reported through `onWarning`.
 */
export async function writeAtomically<T>(
  target: string,
  fn: (tmpPath: string) => Promise<T>,
  opts: AtomicWriteOptions = {},
): Promise<T> {
  for (const stale of staleTemporaryFiles(target)) {
    opts.onWarning?.(`${stale} was left by an fstool process that no longer runs (killed?); remove it`);
  }
  const exists = existsSync(target) && statSync(target).isFile();
  const lock = exists ? await ImageLock.take(target, 'exclusive', opts.lock) : undefined;
  if (exists) opts.onReplace?.(target);
  const tmp = join(dirname(target), `.${basename(target)}.fstool-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  live.add(tmp);
  try {
    const result = await fn(tmp);
    await rename(tmp, target);
    return result;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    live.delete(tmp);
    await lock?.release();
  }
}
