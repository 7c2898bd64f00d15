import { truncateSync, writeFileSync } from 'node:fs';
import { FileDevice } from '@fstool/blockdev/node';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { detectPartitionTable, readPartitionTable } from '../src/index.js';

const MiB = 2 ** 20;

describe.skipIf(!haveTools('mkfs.fat', 'mke2fs', 'sfdisk', 'sgdisk'))('detectPartitionTable on real images', () => {
  const tmp = tempDir('fstool-detect-');
  afterAll(() => tmp.cleanup());

  const image = (name: string, size: number) => {
    const path = tmp.join(name);
    writeFileSync(path, new Uint8Array(0));
    truncateSync(path, size);
    return path;
  };
  const detect = async (path: string) => {
    const dev = await FileDevice.open(path);
    try {
      return await readPartitionTable(dev);
    } finally {
      await dev.close();
    }
  };

  it('bare FAT12/16/32 and ext4 filesystems are not partition tables', async () => {
    for (const [name, args] of [
      ['fat12', ['-F', '12']],
      ['fat16', ['-F', '16']],
      ['fat32', ['-F', '32']],
    ] as const) {
      const path = image(`${name}.img`, 64 * MiB);
      mustRun('mkfs.fat', [...args, path]);
      expect((await detect(path)).kind, name).toBe('none');
    }
    const ext = image('ext4.img', 32 * MiB);
    mustRun('mke2fs', ['-q', '-t', 'ext4', '-F', ext]);
    expect((await detect(ext)).kind).toBe('none');
  });

  it('an MBR disk whose first partition holds FAT is an MBR; sgdisk disks are GPT', async () => {
    const path = image('mbr-fat.img', 64 * MiB);
    mustRun('sfdisk', ['-q', path], { input: 'label: dos\nstart=2048, type=c\n' });
    mustRun('mkfs.fat', ['-F', '32', '--offset', '2048', path]);
    const t = await detect(path);
    expect(t.kind).toBe('mbr');
    expect(t.partitions.map((p) => [p.start, p.type])).toEqual([[MiB, 'fat32']]);

    const gpt = image('gpt.img', 16 * MiB);
    mustRun('sgdisk', ['-o', '-n', '1:0:0', gpt]);
    expect((await detect(gpt)).kind).toBe('gpt');
    const dev = await FileDevice.open(gpt);
    expect(await detectPartitionTable(dev)).toBe('gpt');
    await dev.close();
  });
});
