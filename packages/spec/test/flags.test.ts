import { InvalidArgumentError } from '@fstool/blockdev';
import { describe, expect, it } from 'vitest';
import { readFilesystemFlags } from '../src/index.js';

const flags = { block_size: '--block-size', inodes: '--inodes', volume_label: '--label' };

describe('readFilesystemFlags', () => {
  it('checks flag values by the spec rules and names the flags', () => {
    let err: unknown;
    try {
      readFilesystemFlags({ type: 'ext4', size: 'auto', block_size: 3000, inodes: 0, volume_label: 'x' }, flags);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toBe(
      '--block-size must be 1024, 2048 or 4096, got 3000\n--inodes must be from 1 to 4294967295, got 0',
    );
  });

  it('returns the filesystem spec; undefined flags are left out', () => {
    expect(
      readFilesystemFlags({ type: 'ext4', size: 4096 * 1024, block_size: 4096, inodes: undefined }, flags),
    ).toEqual({ type: 'ext4', size: 4096 * 1024, blockSize: 4096 });
  });
});
