/**
 * The host disk fills up during `fstool add` into a FAT filesystem inside a qcow2 image: the
 * command fails with a clear error (exit 2) and the image keeps at worst leaks, at every fill
 * level. The image lives on a small tmpfs (needs root to mount; under CI a refusal is a failure).
 */
import { closeSync, mkdirSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  fsckVfatVerdict,
  haveTools,
  inCI,
  mustRun,
  qemuImgCheckVerdict,
  runTool,
  tempDir,
  type Verdict,
} from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

const root = process.getuid?.() === 0;
if (!root && inCI) throw new Error('disk-full test: CI must run as root to mount a tmpfs');

const KiB = 1024;
/** Free bytes left on the tmpfs when `add` starts (the tree needs about 900 KiB; the last level fits). */
const LEVELS = [16, 64, 160, 320, 640, 4096].map((k) => k * KiB);

describe.skipIf(!root || !haveTools('qemu-img', 'mkfs.fat', 'mcopy', 'fsck.vfat'))('host disk full during add', () => {
  const tmp = tempDir('cli-full-');
  const mnt = tmp.join('mnt');
  mkdirSync(mnt);
  const mounted = runTool('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
  afterAll(() => {
    runTool('umount', [mnt]);
    tmp.cleanup();
  });

  const tree = tmp.join('tree');
  for (let d = 0; d < 3; d++) {
    mkdirSync(join(tree, `d${d}`), { recursive: true });
    for (let f = 0; f < 12; f++) {
      writeFileSync(join(tree, `d${d}`, `f${f}.bin`), new Uint8Array(KiB * (4 + ((d * 5 + f * 7) % 40))).fill(f + 1));
    }
  }
  const raw = tmp.join('fat32.img');
  mustRun('mkfs.fat', ['-F', '32', '-s', '1', '-C', raw, '40000']);
  mustRun('mcopy', ['-s', '-Q', '-i', raw, join(tree, 'd0'), '::/'], {
    env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
  });

  /** qemu-img check, then fsck.vfat on qemu-img's raw conversion (made off the full tmpfs). */
  const judge = (img: string): Verdict => {
    const outer = qemuImgCheckVerdict(img);
    if (outer.state === 'damaged') return outer;
    mustRun('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', img, tmp.join('judge.raw')]);
    const inner = fsckVfatVerdict(tmp.join('judge.raw'));
    return inner.state === 'clean' ? outer : inner;
  };

  /** Fills the tmpfs with a filler file, then gives back `free` bytes. */
  const fillLeaving = (free: number) => {
    const filler = join(mnt, 'filler');
    const fd = openSync(filler, 'w');
    const chunk = new Uint8Array(64 * KiB).fill(1);
    let size = 0;
    try {
      for (;;) size += writeSync(fd, chunk);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOSPC') throw err;
    } finally {
      closeSync(fd);
    }
    truncateSync(filler, Math.max(0, size - free));
  };

  it('fails with exit 2 and leaves at worst leaks at every fill level', async () => {
    expect(mounted.code, mounted.stderr).toBe(0);
    const results: string[] = [];
    const errors: string[] = [];
    for (const free of LEVELS) {
      rmSync(join(mnt, 'filler'), { force: true });
      const img = join(mnt, 'img.qcow2');
      mustRun('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', '-o', 'cluster_size=4096', raw, img]);
      fillLeaving(free);
      const r = await cli('add', img, tree, '/new');
      const v = judge(img);
      results.push(
        `${free / KiB} KiB free: exit ${r.code}, ${v.state}${v.problems.length ? `: ${v.problems.slice(0, 3).join(' | ')}` : ''}`,
      );
      if (r.code !== 0) errors.push(r.err);
    }
    console.log(results.join('\n'));
    for (const e of errors) expect(e).toMatch(/no space left on the host disk/);
    expect(results.filter((l) => l.includes('damaged'))).toEqual([]);
    expect(results.filter((l) => l.includes('exit 2')).length).toBe(LEVELS.length - 1);
    expect(results.at(-1)).toMatch(/exit 0, clean/);
  });
});
