import type { BlockDevice } from '@fstool/blockdev';
import { type FileSystem, UnsupportedError } from '@fstool/fs';

export async function openFat(_dev: BlockDevice, _opts: { writable: boolean }): Promise<FileSystem> {
  throw new UnsupportedError('not yet');
}
