/**
 * The in-place editor: add and remove entries on an opened filesystem.
 */
import type { Entry } from '@fstool/fs';
import { UnsupportedError } from '@fstool/fs';
import { ExtFileSystem } from '../read/filesystem.js';
import type { Volume } from '../read/volume.js';

export class ExtEditor extends ExtFileSystem {
  constructor(vol: Volume) {
    super(vol, true);
  }

  override async add(path: string, _entry: Entry): Promise<void> {
    throw new UnsupportedError(`${path}: editing is not implemented yet`);
  }
}
