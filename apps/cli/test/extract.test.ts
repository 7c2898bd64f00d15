import {
  closeSync,
  existsSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { COPY_FIELDS, haveTools, mustRun, pick, snapshotTree, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, shell } from './run-cli.js';

const tmp = tempDir('fstool-extract-');
afterAll(() => tmp.cleanup());
const root = process.getuid?.() === 0;

/** A source tree with every kind of object extract must carry back out. */
function makeSource(): string {
  const src = tmp.join('src');
  mkdirSync(`${src}/etc/private`, { recursive: true });
  writeFileSync(`${src}/etc/hostname`, 'box\n');
  const fd = Buffer.alloc(4096, 7);
  writeFileSync(`${src}/etc/sparse`, fd);
  // 4 MiB hole, then one more block of data.
  const h = openSync(`${src}/etc/sparse`, 'r+');
  writeSync(h, fd, 0, fd.length, 4096 + 4 * 2 ** 20);
  closeSync(h);
  symlinkSync('hostname', `${src}/etc/name`);
  linkSync(`${src}/etc/hostname`, `${src}/etc/hostname.hard`);
  writeFileSync(`${src}/etc/private/key`, 'secret');
  mustRun('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "user.origin", b"test")', `${src}/etc/hostname`]);
  mustRun('chmod', ['4755', `${src}/etc/hostname`]);
  mustRun('chmod', ['0700', `${src}/etc/private`]);
  mustRun('mkfifo', [`${src}/etc/pipe`]);
  if (root) {
    mustRun('mknod', [`${src}/etc/null`, 'c', '1', '3']);
    mustRun('chown', ['-h', '1000:1001', `${src}/etc/private/key`]);
  }
  for (const p of [
    'etc/hostname',
    'etc/sparse',
    'etc/private/key',
    'etc/pipe',
    'etc/name',
    'etc/null',
    'etc/private',
    'etc',
    '',
  ]) {
    if (existsSync(`${src}/${p}`) || p === 'etc/name')
      lutimesSync(`${src}/${p}`, 1_700_000_000, 1_700_000_000 + p.length);
  }
  return src;
}

describe.skipIf(!haveTools('mke2fs', 'debugfs'))('fstool extract', () => {
  const src = makeSource();
  const img = tmp.join('root.ext4');
  mustRun('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', src, img, '16M']);

  it('copies the tree back out: modes, times, links, nodes, xattrs, holes', async () => {
    const dest = tmp.join('out');
    const r = await cli('extract', img, dest);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/extracted \d+ entries/);
    // The image root's times are mke2fs's own (lost+found was made in it).
    const below = (d: string) => snapshotTree(d, { ignore: ['/lost+found'] }).filter((n) => n.path !== '/');
    const want = pick(below(src), COPY_FIELDS);
    const got = pick(below(dest), COPY_FIELDS);
    expect(got).toEqual(want);
    const sparse = lstatSync(`${dest}/etc/sparse`);
    expect(sparse.size).toBe(8192 + 4 * 2 ** 20);
    expect(sparse.blocks * 512).toBeLessThan(2 ** 20);
  });

  it('extracts one subtree or one file; `shell get -r` does the same', async () => {
    const sub = tmp.join('sub');
    expect((await cli('extract', img, '/etc/private', sub)).code).toBe(0);
    expect(readFileSync(`${sub}/key`, 'utf8')).toBe('secret');
    expect(lstatSync(sub).mode & 0o7777).toBe(0o700);
    mkdirSync(tmp.join('one'));
    expect((await cli('extract', img, '/etc/hostname', tmp.join('one'))).code).toBe(0);
    expect(readFileSync(tmp.join('one', 'hostname'), 'utf8')).toBe('box\n');
    const viaShell = tmp.join('via-shell');
    const sh = await shell(`cd /etc\nget -r private ${viaShell}\n`, img);
    expect(sh.code, sh.err).toBe(0);
    expect(readFileSync(`${viaShell}/key`, 'utf8')).toBe('secret');
    expect(lstatSync(viaShell).mode & 0o7777).toBe(0o700);
  });

  it('never writes outside DEST, whatever is already there or named in the image', async () => {
    const outside = tmp.join('outside');
    mkdirSync(outside);
    const dest = tmp.join('trap');
    mkdirSync(dest);
    // A link planted where the image has a directory, and one where it has a file.
    symlinkSync(outside, `${dest}/etc`);
    const r = await cli('extract', img, dest);
    expect(r.code, r.err).toBe(0);
    expect(lstatSync(`${dest}/etc`).isDirectory()).toBe(true);
    expect(existsSync(`${outside}/hostname`)).toBe(false);

    const dest2 = tmp.join('trap2');
    mkdirSync(`${dest2}/etc`, { recursive: true });
    symlinkSync(`${outside}/victim`, `${dest2}/etc/hostname`);
    expect((await cli('extract', img, dest2)).code).toBe(0);
    expect(existsSync(`${outside}/victim`)).toBe(false);
    expect(readFileSync(`${dest2}/etc/hostname`, 'utf8')).toBe('box\n');
  });

  it('skips names that would climb out (a crafted "..", a name with "/")', async () => {
    const evil = tmp.join('evil.ext2');
    const s = tmp.join('evil-src');
    mkdirSync(`${s}/d`, { recursive: true });
    writeFileSync(`${s}/d/QQ`, 'up\n');
    writeFileSync(`${s}/d/AxBB`, 'slash\n');
    mustRun('mke2fs', ['-q', '-F', '-t', 'ext2', '-d', s, evil, '1M']);
    const bytes = readFileSync(evil);
    const patch = (from: string, to: string) => {
      const at = bytes.indexOf(Buffer.from(from));
      expect(at).toBeGreaterThan(0);
      bytes.write(to, at);
    };
    patch('QQ', '..');
    patch('AxBB', 'A/BB');
    writeFileSync(evil, bytes);
    const dest = tmp.join('evil-out', 'x');
    const r = await cli('extract', evil, dest);
    expect(r.err).toMatch(/not safe on the host; skipped/);
    expect(existsSync(tmp.join('evil-out', 'up'))).toBe(false);
    expect(existsSync(tmp.join('evil-out', 'x', 'd', 'A'))).toBe(false);
    expect(snapshotTree(tmp.join('evil-out')).map((n) => n.path)).not.toContain('/QQ');
  });
});
