import { mkdtempSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FilesystemImage, parseSpec } from '@fstool/spec';
import { haveTools, inCI, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../src/index.js';
import { buildImage, convertImage, isBlockDevicePath } from '../src/node.js';

const tmp = tempDir('fstool-target-');
const MiB = 2 ** 20;

/** A loop device over a 32 MiB file full of 0xff (so unwritten blocks are not zeros), or undefined. */
function attachLoop(): string | undefined {
  const backing = tmp.join('loop.bin');
  writeFileSync(backing, Buffer.alloc(32 * MiB, 0xff));
  const r = runTool('losetup', ['-f', '--show', backing]);
  if (r.code !== 0) {
    if (inCI) throw new Error(`losetup failed: ${r.stderr}`);
    return undefined;
  }
  return r.stdout.trim();
}

/** Mounts a block device read-only, runs fn, unmounts. */
async function withMounted<T>(dev: string, fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'fstool-mnt-'));
  mustRun('mount', ['-o', 'ro', dev, dir]);
  try {
    return await fn(dir);
  } finally {
    mustRun('umount', [dir]);
    rmdirSync(dir);
  }
}

const canLoop = haveTools('losetup', 'mount', 'e2fsck') && process.getuid?.() === 0;
const loop = canLoop ? attachLoop() : undefined;
afterAll(() => {
  if (loop) runTool('losetup', ['-d', loop]);
  tmp.cleanup();
});

const spec = (size: number | 'auto'): FilesystemImage => ({
  kind: 'filesystem',
  filesystem: { type: 'ext4', source: 'src', size, volumeLabel: 'dev' },
  output: {},
  plugins: [],
});

describe.skipIf(!loop)('block-device targets', () => {
  const dev = loop as string;
  const opts = { baseDir: tmp.path, registry: createRegistry(), env: {} };

  beforeAll(() => {
    mustRun('mkdir', ['-p', tmp.join('src/etc')]);
    writeFileSync(tmp.join('src/etc/hostname'), 'loop\n');
  });

  it('recognises block devices', () => {
    expect(isBlockDevicePath(dev)).toBe(true);
    expect(isBlockDevicePath(tmp.join('loop.bin'))).toBe(false);
    expect(isBlockDevicePath(tmp.join('absent'))).toBe(false);
  });

  it('refuses a block device without force, and a qcow2 format on one', async () => {
    await expect(buildImage(spec('auto'), { ...opts, output: dev })).rejects.toThrow(/is a block device.*--force/);
    await expect(buildImage(spec('auto'), { ...opts, output: dev, force: true, format: 'qcow2' })).rejects.toThrow(
      /only raw images/,
    );
  });

  it('builds onto the device with force: auto size = its capacity, every block written, the kernel mounts it', async () => {
    const r = await buildImage(spec('auto'), { ...opts, output: dev, force: true });
    expect(r.size).toBe(32 * MiB);
    const fsck = runTool('e2fsck', ['-fn', dev]);
    expect(fsck.code, fsck.stdout).toBe(0);
    const hostname = await withMounted(dev, (dir) => mustRun('cat', [join(dir, 'etc/hostname')]));
    expect(hostname).toBe('loop\n');
  });

  it('refuses a mounted device (exclusive open) and an image bigger than the device', async () => {
    await withMounted(dev, async () => {
      await expect(buildImage(spec('auto'), { ...opts, output: dev, force: true })).rejects.toThrow(
        /exclusively: it is mounted or in use/,
      );
    });
    await expect(buildImage(spec(64 * MiB), { ...opts, output: dev, force: true })).rejects.toThrow(
      /holds 33554432 bytes; the image needs 67108864/,
    );
  });

  it('a GPT disk spec with size auto spans the device; sgdisk -v is clean on it', async () => {
    const disk = parseSpec(
      `[image]\nsize = "auto"\npartition_table = "gpt"\n[[partitions]]\ntype = "linux"\nsize = "auto"\n  [partitions.filesystem]\n  type = "ext4"\n  source = "src"\n`,
      'disk.toml',
    );
    const r = await buildImage(disk, { ...opts, output: dev, force: true });
    expect(r).toMatchObject({ size: 32 * MiB, table: 'gpt' });
    expect(mustRun('sgdisk', ['-v', dev])).toMatch(/No problems found/);
    const table = mustRun('sgdisk', ['-p', dev]);
    expect(table).toMatch(/last usable sector is 65502\b/);
    expect(table).toMatch(/^\s+1\s+2048\s/m);
  });

  it('convert writes an image onto the device, growing its GPT to the device with --size', async () => {
    const disk = tmp.join('disk.img');
    mustRun('truncate', ['-s', '8M', disk]);
    mustRun('sgdisk', ['-n', '1:2048:+4M', '-t', '1:8300', disk]);
    await expect(convertImage(disk, dev, {})).rejects.toThrow(/--force/);
    const r = await convertImage(disk, dev, { force: true, size: 32 * MiB });
    expect(r.size).toBe(32 * MiB);
    expect(mustRun('sgdisk', ['-v', dev])).toMatch(/No problems found/);
  });
});
