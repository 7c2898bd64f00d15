/** Item: every size from the smallest up builds an image that e2fsck -fn finds clean without a word. */
import { treeFromEntries } from '@fstool/fs';
import { e2fsckNoise, haveTools, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { extDriver } from '../src/driver.js';
import { buildImage, dir, file } from './helpers.js';

const tree = () =>
  treeFromEntries([dir('/etc'), file('/etc/hostname', 'tiny\n'), file('/etc/motd', 'x'.repeat(3000)), dir('/var')]);

/**
 * From the smallest size: every block count for a while (where the reserved GDT count is 0 and
 * the last group is cut), then growing steps past the journal threshold and group boundaries.
 */
function sizes(min: number, blockSize: number): number[] {
  const out: number[] = [];
  for (let b = min; b < min + 12; b++) out.push(b);
  const end = Math.min(3 * blockSize * 8, (20 * 2 ** 20) / blockSize);
  for (let b = min + 12; b < end; b = Math.ceil(b * 1.8)) out.push(b);
  return out.map((b) => b * blockSize);
}

describe.skipIf(!haveTools('e2fsck'))('tiny images are clean', () => {
  const tmp = tempDir('fstool-ext-tiny-');
  afterAll(() => tmp.cleanup());

  const cases: Array<{ type: string; blockSize: number; features?: string }> = ['ext2', 'ext3', 'ext4'].flatMap(
    (type) => [1024, 2048, 4096].map((blockSize) => ({ type, blockSize })),
  );
  cases.push({ type: 'ext4', blockSize: 1024, features: '+inline_data' });
  for (const { type, blockSize, features } of cases) {
    const name = `${type}, ${blockSize}-byte blocks${features ? `, ${features}` : ''}`;
    it(`${name}: e2fsck -fn says nothing but its passes at every size`, async () => {
      // From the bare fit (an auto size would start past the journal threshold).
      const opts = { blockSize, fitOnly: true, ...(features ? { features } : {}) };
      const min = await extDriver.minimumSize(tree(), opts, { type });
      const img = tmp.join(`${type}-${blockSize}.img`);
      for (const size of sizes(min / blockSize, blockSize)) {
        await buildImage(img, tree(), type, opts, size, () => {});
        expect(e2fsckNoise(img), `${name}, ${size} bytes`).toEqual([]);
      }
    });
  }
});
