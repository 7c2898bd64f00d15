import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { FsError, MemoryDevice } from '@fstool/blockdev';
import type { FileSystem } from '@fstool/fs';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExt } from '../src/read/index.js';
import { noise } from './read-fixtures.js';

/** Walks everything reachable (bounded), reading the start of every file; returns errors met. */
async function exercise(fs: FileSystem): Promise<unknown[]> {
  const errors: unknown[] = [];
  let budget = 3000;
  const walk = async (path: string, depth: number) => {
    if (depth > 12 || budget-- <= 0) return;
    try {
      const e = await fs.stat(path);
      if (e.kind === 'file') {
        let n = 0;
        for await (const chunk of fs.read(path)) {
          n += chunk.length;
          if (n > 2 ** 20) break;
        }
      }
      if (e.kind === 'dir') for (const c of await fs.list(path)) await walk(c.path, depth + 1);
    } catch (err) {
      errors.push(err);
    }
  };
  await walk('/', 0);
  try {
    await fs.info();
  } catch (err) {
    errors.push(err);
  }
  return errors;
}

/** Byte ranges of interesting structures, found with dumpe2fs/debugfs. */
function regions(img: string, blockSize: number): Record<string, [number, number]> {
  const dump = mustRun('dumpe2fs', [img]);
  const table = Number(/Inode table at (\d+)/.exec(dump)?.[1]);
  const gdt = Number(/Primary superblock at \d+, Group descriptors at (\d+)/.exec(dump)?.[1]);
  const stat = mustRun('debugfs', ['-R', 'stat /islands', img]);
  const etb = Number(/\(ETB0\):\s*(\d+)/.exec(stat)?.[1]);
  const dirBlocks = mustRun('debugfs', ['-R', 'blocks /many', img]).trim().split(/\s+/).map(Number);
  // Past the htree root, whose slack after the index is not covered by any checksum.
  const dirStart = (dirBlocks[1] as number) * blockSize;
  return {
    superblock: [1024, 1024],
    'group descriptors': [gdt * blockSize, 32],
    'inode table': [table * blockSize, 40 * 256],
    'extent block': [etb * blockSize, 128],
    'directory blocks': [dirStart, blockSize * Math.min(3, dirBlocks.length)],
  };
}

describe.skipIf(!haveTools('mke2fs', 'e2fsck', 'debugfs', 'dumpe2fs'))('corrupted images', () => {
  const tmp = tempDir('ext-corrupt-');
  const images: Array<{ name: string; bytes: Uint8Array; regions: Record<string, [number, number]> }> = [];

  beforeAll(() => {
    const src = tmp.join('tree');
    mkdirSync(`${src}/many`, { recursive: true });
    for (let i = 0; i < 150; i++) writeFileSync(`${src}/many/file-${i}`, noise(i * 7, i + 1));
    const islands = new Uint8Array(60 * 8192);
    for (let i = 0; i < 60; i++) islands.set(noise(100, i + 9), i * 8192);
    writeFileSync(`${src}/islands`, islands);
    for (const [name, type] of [
      ['ext4', 'ext4'],
      ['ext2', 'ext2'],
    ] as const) {
      const img = tmp.join(`${name}.img`);
      mustRun('mke2fs', [
        '-q',
        '-F',
        '-t',
        type,
        '-b',
        '1024',
        '-O',
        type === 'ext4' ? 'extent' : '^dir_index',
        '-d',
        src,
        img,
        '4M',
      ]);
      mustRun('e2fsck', ['-fyD', img]);
      const r = regions(img, 1024);
      if (type === 'ext2') delete r['extent block'];
      images.push({ name, bytes: new Uint8Array(readFileSync(img)), regions: r });
    }
  });
  afterAll(() => tmp.cleanup());

  it('random byte flips give typed errors or warnings, never a crash or hang', async () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const outcomes: Record<string, number> = {};
    for (const image of images) {
      for (const [region, [start, length]] of Object.entries(image.regions)) {
        for (let trial = 0; trial < 8; trial++) {
          const bytes = image.bytes.slice();
          const flips = 1 + rand(4);
          for (let f = 0; f < flips; f++) bytes[start + rand(length)] ^= 1 << rand(8);
          for (const ignoreChecksums of [false, true]) {
            let outcome = 'ok';
            try {
              const fs = await openExt(new MemoryDevice(bytes.slice()), { writable: false, ignoreChecksums });
              const errors = await exercise(fs);
              for (const e of errors) {
                if (!(e instanceof FsError)) throw e;
              }
              if (errors.length) outcome = 'error while reading';
              else if (fs.warnings.length) outcome = 'warnings';
            } catch (e) {
              if (!(e instanceof FsError)) {
                throw new Error(`${image.name} ${region} trial ${trial}: untyped ${(e as Error).stack}`);
              }
              outcome = 'refused on open';
            }
            outcomes[`${image.name} ${region}: ${outcome}`] =
              (outcomes[`${image.name} ${region}: ${outcome}`] ?? 0) + 1;
          }
        }
      }
    }
    // With metadata_csum every region's damage is detected at least once (not silently read).
    for (const image of images.filter((i) => i.name === 'ext4')) {
      for (const region of Object.keys(image.regions)) {
        const detected = Object.entries(outcomes).some(
          ([k, n]) => k.startsWith(`${image.name} ${region}:`) && !k.endsWith(': ok') && n > 0,
        );
        expect(detected, `${image.name} ${region}`).toBe(true);
      }
    }
  });
});
