import { closeSync, openSync, readSync } from 'node:fs';
import { treeFromEntries } from '@fstool/fs';
import { haveTools, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseGeometry } from '../src/geometry.js';
import { fatDriver } from '../src/index.js';
import { mtool } from './helpers.js';

const tmp = tempDir('fstool-fatgeo-');
afterAll(() => tmp.cleanup());

/** FAT type and cluster size of an image, read the way every FAT reader does (cluster count). */
function typeOf(image: string): [number, number] {
  const b = new Uint8Array(512);
  const fd = openSync(image, 'r');
  readSync(fd, b, 0, 512, 0);
  closeSync(fd);
  const dv = new DataView(b.buffer);
  const bps = dv.getUint16(11, true);
  const spc = dv.getUint8(13);
  const fat = dv.getUint16(22, true) || dv.getUint32(36, true);
  const total = dv.getUint16(19, true) || dv.getUint32(32, true);
  const rootSectors = Math.ceil((dv.getUint16(17, true) * 32) / bps);
  const clusters = Math.floor((total - dv.getUint16(14, true) - dv.getUint8(16) * fat - rootSectors) / spc);
  return [clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32, spc * bps];
}

describe.skipIf(!haveTools('mkfs.fat'))('defaults follow mkfs.fat', () => {
  const sizesMiB = [1, 4, 8, 16, 100, 256, 300, 511, 512, 1024, 9000, 17_000, 40_000];
  it.each(sizesMiB)('%i MiB: same FAT type and cluster size as mkfs.fat', (mib) => {
    const image = tmp.join(`mkfs-${mib}.img`);
    expect(mtool('mkfs.fat', ['-C', image, String(mib * 1024)]).code).toBe(0);
    const g = chooseGeometry(mib * 2 ** 20);
    expect([g.fatType, g.clusterSize]).toEqual(typeOf(image));
  });
});

describe('size limits', () => {
  const empty = treeFromEntries([]);
  it('minimumSize honours a forced type and the headroom', async () => {
    const min32 = await fatDriver.minimumSize(empty, {}, { type: 'fat32' });
    expect(chooseGeometry(min32, { fatType: 32 }).clusters).toBeGreaterThanOrEqual(65525);
    expect(() => chooseGeometry(min32 - 512 * 1024, { fatType: 32 })).toThrow(/FAT32 needs a volume from/);
    const big = [{ path: '/f', kind: 'file' as const, mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 10 * 2 ** 20 }];
    const plain = await fatDriver.minimumSize(treeFromEntries(big), {}, { type: 'vfat' });
    const roomy = await fatDriver.minimumSize(treeFromEntries(big), { headroom: 0.5 }, { type: 'vfat' });
    expect(plain).toBeGreaterThan(10 * 2 ** 20);
    expect(roomy).toBeGreaterThan(15 * 2 ** 20);
  });

  it('a type name and a conflicting fatType option is an error', async () => {
    await expect(fatDriver.minimumSize(empty, { fatType: 12 }, { type: 'fat32' })).rejects.toThrow(/conflicts/);
    await expect(fatDriver.minimumSize(empty, {}, { type: 'ext4' })).rejects.toThrow(/cannot build/);
  });
});
