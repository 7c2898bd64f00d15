import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool, haveTools, inCI, mustRun, tempDir, withLoopMount } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

const tmp = tempDir('fstool-mounted-');
afterAll(() => tmp.cleanup());
const src = tmp.join('src');
mkdirSync(src);
writeFileSync(`${src}/hello`, 'hi\n');

describe.skipIf(!haveTools('mount', 'umount', 'losetup', 'e2fsck'))('edits of a mounted image are refused', () => {
  it('a loop-mounted image file, under any name: writers exit 2 naming the mount point; readers work', async () => {
    const img = tmp.join('mounted.ext4');
    expect((await cli('ext-build', src, '-o', img, '--size', '8MiB')).code).toBe(0);
    const other = tmp.join('other-name.ext4');
    mustRun('ln', [img, other]);
    const ran = await withLoopMount(img, async (mnt) => {
      for (const argv of [
        ['mkdir', img, '/x'],
        ['add', other, `${src}/hello`, '/copy'],
        ['rm', img, '/hello'],
      ]) {
        const r = await cli(...argv);
        expect(r.code, r.err).toBe(2);
        expect(r.err).toContain(`is mounted at ${mnt} (through /dev/loop`);
      }
      const ls = await cli('ls', img);
      expect(ls.code).toBe(0);
      expect(ls.out).toMatch(/^hello$/m);
      return true;
    });
    if (!ran && inCI) throw new Error('mount refused');
    // Unmounted, the same edit works.
    expect((await cli('mkdir', img, '/x')).code).toBe(0);
  });

  it('a mounted block device (a loop device given by name) is refused', async () => {
    const img = tmp.join('dev.ext4');
    expect((await cli('ext-build', src, '-o', img, '--size', '8MiB')).code).toBe(0);
    const losetup = findTool('losetup') as string;
    const attach = spawnSync(losetup, ['--find', '--show', img], { encoding: 'utf8' });
    if (attach.status !== 0) {
      if (inCI) throw new Error(`losetup failed: ${attach.stderr}`);
      return;
    }
    const dev = attach.stdout.trim();
    const mnt = mkdtempSync(join(tmpdir(), 'fstool-mnt-'));
    try {
      mustRun('mount', ['-o', 'ro', dev, mnt]);
      try {
        const r = await cli('mkdir', dev, '/x');
        expect(r.code, r.err).toBe(2);
        expect(r.err).toContain(`${dev} is mounted at ${mnt}: an edit would be lost`);
      } finally {
        mustRun('umount', [mnt]);
      }
    } finally {
      spawnSync(losetup, ['-d', dev]);
      rmdirSync(mnt);
    }
  });
});
