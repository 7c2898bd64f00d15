import { FsError } from '@fstool/blockdev';
import { NotFoundError } from '../errors.js';

/** A host I/O failure as an FsError naming the host path and what was being done. */
export function hostError(err: unknown, path: string, doing: string): FsError {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT') return new NotFoundError(path);
  const msg = err instanceof Error ? err.message : String(err);
  return new FsError(code ?? 'EIO', `${path}: cannot ${doing}: ${msg}`, { cause: err });
}
