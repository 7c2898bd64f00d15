import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDevice } from '@fstool/blockdev/node';
import { haveTools, mustRun } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { openExt } from '../src/read/index.js';
import { fileEntry, fsckClean } from './edit-helpers.js';
import { dir } from './helpers.js';

// tmpfs holds a sparse 16 TiB file (ext4 caps files there) and frees it at once; mke2fs writes ~230 MiB.
const tmp = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'ext-many-groups-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A 16 TiB ext4 with 4 KiB blocks has 131,072 block groups or more: spreading that many values into
// one call overflows the stack ("Maximum call stack size exceeded").
describe.skipIf(!haveTools('mke2fs', 'e2fsck', 'debugfs'))('ext4 of 16 TiB (131,200 block groups)', () => {
  it('mkdir and adding a directory tree work, and e2fsck agrees', async () => {
    const img = join(tmp, 'big.img');
    const fd = openSync(img, 'w');
    ftruncateSync(fd, 16_400 * 2 ** 30);
    closeSync(fd);
    mustRun('mke2fs', [
      ...['-q', '-F', '-t', 'ext4', '-b', '4096', '-N', '140000', '-O', '^has_journal,^resize_inode'],
      ...['-E', 'lazy_itable_init=1,nodiscard', img],
    ]);
    const dev = await FileDevice.open(img, { writable: true });
    const fs = await openExt(dev, { writable: true });
    expect((await fs.info()).groups).toBe(131_200);
    await fs.add('/made', dir('/made'));
    await fs.add('/made/deeper', dir('/made/deeper'));
    await fs.add('/made/deeper/f', fileEntry('/made/deeper/f', new TextEncoder().encode('hi\n')));
    await fs.close();
    await dev.close();
    fsckClean(img);
    expect(mustRun('debugfs', ['-R', 'cat /made/deeper/f', img])).toBe('hi\n');
  });
});
