import { mkdirSync, mkdtempSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTools, inCI, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

// Block-device outputs through the CLI: ext-build and repack onto a loop device (as root).
const tmp = tempDir('fstool-cli-dev-');
const MiB = 2 ** 20;

function attachLoop(): string | undefined {
  const backing = tmp.join('loop.bin');
  writeFileSync(backing, Buffer.alloc(24 * MiB, 0xa5));
  const r = runTool('losetup', ['-f', '--show', backing]);
  if (r.code === 0) return r.stdout.trim();
  if (inCI) throw new Error(`losetup failed: ${r.stderr}`);
  return undefined;
}

const loop = haveTools('losetup', 'mount', 'e2fsck') && process.getuid?.() === 0 ? attachLoop() : undefined;
afterAll(() => {
  if (loop) runTool('losetup', ['-d', loop]);
  tmp.cleanup();
});

function mountedCat(dev: string, path: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fstool-mnt-'));
  mustRun('mount', ['-o', 'ro', dev, dir]);
  try {
    return mustRun('cat', [join(dir, path)]);
  } finally {
    mustRun('umount', [dir]);
    rmdirSync(dir);
  }
}

const src = tmp.join('src');
mkdirSync(`${src}/etc`, { recursive: true });
writeFileSync(`${src}/etc/hostname`, 'on a device\n');

describe.skipIf(!loop)('block-device outputs', () => {
  const dev = loop as string;

  it('ext-build -o /dev/loopN needs --force; with it the kernel mounts the result', async () => {
    const refused = await cli('ext-build', src, '-o', dev, '--kind', 'ext4');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/is a block device: everything on it would be lost; pass --force/);
    const r = await cli('ext-build', src, '-o', dev, '--kind', 'ext4', '--force');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/ext4 raw image of 24\.0 MiB/);
    expect(runTool('e2fsck', ['-fn', dev]).code).toBe(0);
    expect(mountedCat(dev, 'etc/hostname')).toBe('on a device\n');
  });

  it('repack an image onto the device as ext2: it fills the device by default', async () => {
    const img = tmp.join('small.ext4');
    expect((await cli('ext-build', src, '-o', img, '--kind', 'ext4', '--size', '8MiB')).code).toBe(0);
    expect((await cli('repack', img, dev, '--fs-type', 'ext2')).code).toBe(2);
    const r = await cli('repack', img, dev, '--fs-type', 'ext2', '--force');
    expect(r.code, r.err).toBe(0);
    expect(runTool('e2fsck', ['-fn', dev]).code).toBe(0);
    expect(mustRun('dumpe2fs', ['-h', dev])).toMatch(/Block count:\s+24576/);
    expect(mountedCat(dev, 'etc/hostname')).toBe('on a device\n');
  });
});
