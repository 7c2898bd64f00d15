import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Runs `fn` with a temporary path beside `target` and renames it into place only when `fn`
 * succeeds; on any failure the temporary file is removed and `target` is untouched.
 */
export async function writeAtomically<T>(target: string, fn: (tmpPath: string) => Promise<T>): Promise<T> {
  const tmp = join(dirname(target), `.${basename(target)}.fstool-${randomBytes(4).toString('hex')}.tmp`);
  try {
    const result = await fn(tmp);
    await rename(tmp, target);
    return result;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
