import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { findTool, haveTools, inCI, mustRun, runTool, tempDir, withLoopMount } from '@fstool/testkit/node';
import { blockDeviceSectorSize } from 'fstool/node';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

const tmp = tempDir('fstool-4kn-');
afterAll(() => tmp.cleanup());

const MiB = 2 ** 20;

interface DiskJson {
  sectorSize: number;
  volumes: Array<{ partition: { start: number; size: number } }>;
}
const P1 = { start: 256 * 4096, size: 4096 * 4096 }; // ext4
const P2 = { start: 4352 * 4096, size: 4096 * 4096 }; // FAT with 4096-byte sectors

/** Runs `fn` with a loop device over `img` that has 4096-byte logical sectors (a 4Kn disk). */
async function withLoop4k<T>(img: string, fn: (dev: string) => Promise<T> | T): Promise<T | undefined> {
  const losetup = findTool('losetup') as string;
  const r = spawnSync(losetup, ['-f', '--show', '--sector-size', '4096', img], { encoding: 'utf8' });
  if (r.status !== 0) {
    if (inCI) throw new Error(`losetup failed: ${r.stderr}`);
    return undefined;
  }
  const dev = r.stdout.trim();
  try {
    return await fn(dev);
  } finally {
    spawnSync(losetup, ['-d', dev]);
  }
}

/** Copies `part` (a filesystem image) into `disk` at byte `at`. */
function place(disk: string, part: string, at: number): void {
  const fd = openSync(disk, 'r+');
  writeSync(fd, readFileSync(part), 0, undefined, at);
  closeSync(fd);
}

/** Cuts partition `p` out of `disk` into its own file, for the filesystem checkers. */
function cut(disk: string, p: { start: number; size: number }, to: string): string {
  writeFileSync(to, readFileSync(disk).subarray(p.start, p.start + p.size));
  return to;
}

describe.skipIf(!haveTools('sfdisk', 'losetup', 'mke2fs', 'e2fsck', 'mkfs.fat', 'fsck.fat', 'mcopy', 'mdir'))(
  '4Kn MBR disks',
  () => {
    const disk = tmp.join('4kn.img');
    let sfdiskView = '';

    it('sfdisk on a 4096-byte-sector device makes the fixture', async () => {
      const fd = openSync(disk, 'w');
      ftruncateSync(fd, 64 * MiB);
      closeSync(fd);
      const src = tmp.join('src');
      mkdirSync(src);
      writeFileSync(`${src}/hello`, 'from ext4\n');
      mustRun('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '4096', '-d', src, tmp.join('p1'), '16M']);
      mustRun('mkfs.fat', ['-S', '4096', '-C', tmp.join('p2'), String(P2.size / 1024)]);
      writeFileSync(tmp.join('fat.txt'), 'from fat\n');
      mustRun('mcopy', ['-i', tmp.join('p2'), tmp.join('fat.txt'), '::/FAT.TXT']);
      place(disk, tmp.join('p1'), P1.start);
      place(disk, tmp.join('p2'), P2.start);
      const view = await withLoop4k(disk, (dev) => {
        mustRun('sfdisk', ['-q', dev], {
          input: 'label: dos\nstart=256, size=4096, type=83\nstart=4352, size=4096, type=c\n',
        });
        expect(blockDeviceSectorSize(dev)).toBe(4096);
        return mustRun('sfdisk', ['-d', dev]);
      });
      expect(view).toMatch(/sector-size: 4096/);
      sfdiskView = view ?? '';
      // Read as a file, sfdisk itself takes 512-byte sectors: the bug this guards against.
      expect(mustRun('sfdisk', ['-d', disk])).toMatch(/sector-size: 512/);
    });

    it('an image file: the sector size is probed; partitions match sfdisk on the 4Kn device', async () => {
      const r = await cli('info', disk, '--json');
      expect(r.code, r.err).toBe(0);
      const info = JSON.parse(r.out) as DiskJson;
      expect(info.sectorSize).toBe(4096);
      const fromSfdisk = [...sfdiskView.matchAll(/start=\s*(\d+), size=\s*(\d+)/g)].map((m) => ({
        start: Number(m[1]) * 4096,
        size: Number(m[2]) * 4096,
      }));
      expect(info.volumes.map((v) => ({ start: v.partition.start, size: v.partition.size }))).toEqual(fromSfdisk);
      expect((await cli('cat', `${disk}:1`, '/hello')).bytes.toString()).toBe('from ext4\n');
      expect((await cli('cat', `${disk}:2`, '/FAT.TXT')).bytes.toString()).toBe('from fat\n');
      // The kernel reads the same filesystem at that offset.
      await withLoopMount(disk, (mnt) => expect(readFileSync(`${mnt}/hello`, 'utf8')).toBe('from ext4\n'), {
        offset: P1.start,
        sizelimit: P1.size,
      });
    });

    it('edits through the 4Kn table land in the right partitions (e2fsck, fsck.fat, mdir)', async () => {
      const host = tmp.join('host.txt');
      writeFileSync(host, 'added\n');
      expect((await cli('mkdir', `${disk}:1`, '/made')).code).toBe(0);
      expect((await cli('add', `${disk}:1`, host, '/made/host.txt')).code).toBe(0);
      const add = await cli('add', `${disk}:2`, host, '/ADDED.TXT');
      expect(add.code, add.err).toBe(0);
      const ext = runTool('e2fsck', ['-fn', cut(disk, P1, tmp.join('cut1'))]);
      expect(ext.code, ext.stdout).toBe(0);
      const fat = cut(disk, P2, tmp.join('cut2'));
      expect(runTool('fsck.fat', ['-n', fat]).code).toBe(0);
      expect(mustRun('mdir', ['-b', '-i', fat, '::/'])).toMatch(/ADDED\.TXT/);
      expect(mustRun('debugfs', ['-R', 'cat /made/host.txt', tmp.join('cut1')])).toBe('added\n');
    });

    it('--sector-size overrides the probe, before or after the command', async () => {
      const r = await cli('--sector-size', '512', 'info', disk, '--json');
      expect(r.code, r.err).toBe(0);
      const info = JSON.parse(r.out) as DiskJson;
      expect(info.sectorSize).toBe(512);
      expect(info.volumes[0]?.partition.start).toBe(256 * 512);
      const wrong = await cli('ls', `${disk}:1`, '--sector-size', '512');
      expect(wrong.code).toBe(2);
      expect((await cli('ls', `${disk}:1`, '--sector-size', '4096')).out).toContain('hello');
      const bad = await cli('ls', disk, '--sector-size', '1000');
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/must be one of 512, 1024, 2048, 4096/);
    });

    it('a block device reports its own sector size', async () => {
      const out = await withLoop4k(disk, async (dev) => {
        const r = await cli('info', dev, '--json');
        expect(r.code, r.err).toBe(0);
        return JSON.parse(r.out) as DiskJson;
      });
      if (out) {
        expect(out).toMatchObject({
          sectorSize: 4096,
          volumes: [{ partition: { start: P1.start } }, { partition: { start: P2.start } }],
        });
      }
    });

    it('an ordinary 512-byte MBR disk is still read with 512-byte sectors', async () => {
      const d512 = tmp.join('512.img');
      const fd = openSync(d512, 'w');
      ftruncateSync(fd, 32 * MiB);
      closeSync(fd);
      mustRun('sfdisk', ['-q', d512], { input: 'label: dos\nstart=2048, size=16384, type=83\n' });
      mustRun('mke2fs', ['-q', '-F', '-t', 'ext4', tmp.join('p512'), '8M']);
      place(d512, tmp.join('p512'), 2048 * 512);
      const r = await cli('info', d512, '--json');
      expect(JSON.parse(r.out)).toMatchObject({ sectorSize: 512, volumes: [{ partition: { start: 2048 * 512 } }] });
      expect((await cli('ls', `${d512}:1`)).out).toContain('lost+found');
    });
  },
);
