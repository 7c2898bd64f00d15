import type { FileSystem } from '@fstool/fs';
import { UnsupportedError } from '@fstool/fs';

type Optional = 'setAttributes' | 'rename' | 'link' | 'check';

/** The optional operation `op` of `fs`, bound, or a clear error naming the filesystem type. */
export function need<K extends Optional>(fs: FileSystem, op: K): NonNullable<FileSystem[K]> {
  const fn = fs[op];
  if (!fn) throw new UnsupportedError(`the ${fs.type} driver has no ${op} operation`);
  return fn.bind(fs) as NonNullable<FileSystem[K]>;
}

/** stat, or undefined when the path does not exist. */
export async function statIfAny(fs: FileSystem, path: string) {
  try {
    return await fs.stat(path);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}
