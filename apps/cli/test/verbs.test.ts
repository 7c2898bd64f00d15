import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { e2fsckVerdict, fsckVfatVerdict, haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, shell } from './run-cli.js';

const tmp = tempDir('fstool-verbs-');
afterAll(() => tmp.cleanup());

const src = tmp.join('src');
mkdirSync(`${src}/etc/sub`, { recursive: true });
mkdirSync(`${src}/var/log`, { recursive: true });
writeFileSync(`${src}/etc/hostname`, 'box\n');
writeFileSync(`${src}/etc/old`, 'old\n');
writeFileSync(`${src}/etc/sub/b.conf`, 'b'.repeat(3000));
writeFileSync(`${src}/var/log/big`, new Uint8Array(200_000).fill(1));

function ext(kind: string, name: string): string {
  const img = tmp.join(name);
  mustRun('mke2fs', ['-q', '-F', '-t', kind, '-d', src, img, '8M']);
  return img;
}

/** debugfs's view of one inode: mode (octal), links, uid, gid. */
function debugStat(img: string, path: string) {
  const out = mustRun('debugfs', ['-R', `stat ${path}`, img]);
  const m = /Mode:\s+(\d+).*?User:\s+(\d+)\s+Group:\s+(\d+).*?Links:\s+(\d+)/s.exec(out);
  if (!m) throw new Error(`debugfs stat ${path}: ${out}`);
  return { mode: Number.parseInt(m[1] as string, 8), uid: Number(m[2]), gid: Number(m[3]), links: Number(m[4]), out };
}

async function ok(...argv: string[]) {
  const r = await cli(...argv);
  expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(0);
  return r;
}

describe.skipIf(!haveTools('mke2fs', 'debugfs', 'e2fsck'))('mv, ln, chmod, chown, touch on ext', () => {
  for (const kind of ['ext4', 'ext2']) {
    it(`${kind}: each edit is what debugfs sees, and e2fsck -fn stays clean`, async () => {
      const img = ext(kind, `edit.${kind}`);
      await ok('mv', img, '/etc/hostname', '/etc/name');
      await ok('mv', img, '/etc/name', '/var');
      await ok('rename', img, '/etc/sub', '/var/log/sub');
      await ok('mv', img, '/var/name', '/etc/old');
      await ok('ln', img, '/etc/old', '/hard');
      await ok('ln', '-s', img, 'etc/old', '/soft');
      await ok('chmod', img, '4750', '/hard');
      await ok('chmod', '-R', img, 'go-rx', '/var/log');
      await ok('chown', img, '1000:1001', '/soft');
      await ok('touch', '-d', '2020-02-02T02:02:02Z', img, '/etc/old', '/etc/new');
      expect(e2fsckVerdict(img).state, e2fsckVerdict(img).output).toBe('clean');

      expect((await cli('cat', img, '/etc/old')).bytes.toString()).toBe('box\n');
      expect((await cli('cat', img, '/var/log/sub/b.conf')).bytes.length).toBe(3000);
      expect((await cli('stat', img, '/etc/name')).code).toBe(2);
      const hard = debugStat(img, '/hard');
      expect(hard).toMatchObject({ mode: 0o4750, links: 2 });
      expect(debugStat(img, '/soft')).toMatchObject({ uid: 1000, gid: 1001 });
      expect(debugStat(img, '/var/log/sub').mode).toBe(0o700);
      expect(debugStat(img, '/var/log').mode).toBe(0o700);
      expect(debugStat(img, '/etc/old').out).toMatch(/mtime: 0x5e362d9a/);
      expect(debugStat(img, '/etc/new').out).toMatch(/Size: 0/);
      // '..' of the moved directory names its new parent.
      expect(mustRun('debugfs', ['-R', 'ls -l /var/log/sub/..', img])).toMatch(/\bsub\b/);
      expect(mustRun('debugfs', ['-R', 'ls /var/log/sub/..', img])).toMatch(/big/);
    });
  }

  it('refuses what POSIX refuses, with exit 2 and the path', async () => {
    const img = ext('ext4', 'refuse.ext4');
    const into = await cli('mv', img, '/etc', '/etc/sub/x');
    expect(into.code).toBe(2);
    expect(into.err).toMatch(/cannot move \/etc below itself/);
    const dirLink = await cli('ln', img, '/etc', '/etc2');
    expect(dirLink.code).toBe(2);
    expect(dirLink.err).toMatch(/\/etc/);
    const overDir = await cli('mv', img, '/etc/old', '/var/log/big/x');
    expect(overDir.code).toBe(2);
    expect((await cli('chmod', img, 'u+q', '/etc/old')).err).toMatch(/bad mode "u\+q"/);
    expect(e2fsckVerdict(img).state).toBe('clean');
  });
});

describe.skipIf(!haveTools('mkfs.vfat', 'fsck.vfat', 'mdir', 'mattrib'))(
  'mv, chmod, touch on FAT; ln and chown refused',
  () => {
    it('each edit shows in mtools and fsck.vfat -n stays clean', async () => {
      const img = tmp.join('edit.vfat');
      const built = await cli('fat-build', src, '-o', img, '--size', '8MiB');
      expect(built.code, built.err).toBe(0);
      await ok('mv', img, '/etc/hostname', '/etc/sub');
      await ok('mv', img, '/etc/sub', '/var/moved-directory');
      await ok('mv', img, '/var/moved-directory/hostname', '/etc/old');
      await ok('chmod', img, 'a-w', '/etc/old');
      await ok('touch', '-d', '2021-03-04T05:06:08Z', img, '/etc/old');
      expect(fsckVfatVerdict(img).state, fsckVfatVerdict(img).output).toBe('clean');
      const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
      expect(mustRun('mdir', ['-i', img, '::/var/moved-directory'], { env })).toMatch(/b\.conf|B\s+CONF/i);
      expect(mustRun('mattrib', ['-i', img, '::/etc/old'], { env })).toMatch(/^\s*A?\s*R\s/m);
      expect(mustRun('mdir', ['-i', img, '::/etc'], { env })).toMatch(/2021-03-04\s+5:06/);
      expect((await cli('cat', img, '/etc/old')).bytes.toString()).toBe('box\n');

      const ln = await cli('ln', img, '/etc/old', '/x');
      expect(ln.code).toBe(2);
      expect(ln.err).toMatch(/FAT has no hard links/);
      const chown = await cli('chown', img, '1000', '/etc/old');
      expect(chown.code).toBe(2);
      expect(chown.err).toMatch(/FAT has no owners/);
    });
  },
);

describe.skipIf(!haveTools('mke2fs'))('df, du, find, stat, ls shapes', () => {
  const img = ext('ext4', 'shapes.ext4');

  it('df: coreutils columns, 1K blocks or -h; JSON with the same numbers', async () => {
    const df = await ok('df', img);
    expect(df.out).toMatch(/^Filesystem\s+Type\s+1K-blocks\s+Used\s+Avail\s+Use%\s+Inodes\s+IUsed\s+IFree\s+IUse%$/m);
    expect(df.out).toMatch(/shapes\.ext4\s+ext4\s+8192\s+\d+\s+\d+\s+\d+%\s+2048\s/);
    expect((await ok('df', '-h', img)).out).toMatch(/8\.0 MiB/);
    const [row] = JSON.parse((await ok('df', '--json', img)).out);
    expect(row).toMatchObject({ type: 'ext4', size: 8 * 2 ** 20, inodes: 2048 });
    expect(row.usedBytes + row.freeBytes).toBe(row.size);
  });

  it('du: directories after their contents, apparent sizes; -s; -a', async () => {
    const du = (await ok('du', img, '/var')).out;
    expect(du.split('\n')[0]).toMatch(/^\d+\t\/var\/log$/);
    const [log, all] = du
      .trim()
      .split('\n')
      .map((l) => Number(l.split('\t')[0]));
    expect(log).toBeGreaterThanOrEqual(Math.ceil(200_000 / 1024));
    expect(all).toBeGreaterThan(log as number);
    expect((await ok('du', '-s', img, '/etc')).out).toMatch(/^\d+\t\/etc\n$/);
    expect((await ok('du', '-a', img, '/etc')).out).toMatch(/^3\t\/etc\/sub\/b\.conf$/m);
  });

  it('find: name, type and size tests combine', async () => {
    expect((await ok('find', img, '--type', 'f')).out).toBe('/etc/hostname\n/etc/old\n/etc/sub/b.conf\n/var/log/big\n');
    expect((await ok('find', img, '/etc', '--name', '*.conf')).out).toBe('/etc/sub/b.conf\n');
    expect((await ok('find', img, '--size', '+100k')).out).toBe('/var/log/big\n');
    expect((await ok('find', img, '--type', 'd', '--name', '[ls]*')).out).toBe('/etc/sub\n/lost+found\n/var/log\n');
    // find(1)'s one-dash spelling of the tests; a test's value may itself look like one.
    expect((await ok('find', img, '/etc', '-name', '*.conf', '-type', 'f')).out).toBe('/etc/sub/b.conf\n');
    expect((await ok('find', img, '-size', '+100k')).out).toBe('/var/log/big\n');
    expect((await ok('find', img, '--name', '-name')).out).toBe('');
    expect((await cli('find', img, '--type', 'q')).code).toBe(2);
  });

  it('stat: mode octal and symbolic, ISO 8601 UTC times; ls -lh, -la, directory sizes', async () => {
    await ok('touch', '-d', '2024-05-06T07:08:09Z', img, '/etc/hostname');
    const st = (await ok('stat', img, '/etc/hostname')).out;
    expect(st).toMatch(/^mode:\s+0644 \(-rw-r--r--\)$/m);
    expect(st).toMatch(/^mtime:\s+2024-05-06T07:08:09Z$/m);
    const la = (await ok('ls', '-la', img, '/etc')).out.split('\n');
    expect(la[0]).toMatch(/^d.*\s1024\s.*\s\.$/);
    expect(la[1]).toMatch(/^d.*\s\.\.$/);
    expect((await ok('ls', '-lh', img, '/var/log')).out).toMatch(/195\.3 KiB\s+\S+ \S+\s+big$/m);
  });
});

describe.skipIf(!haveTools('mke2fs', 'e2fsck'))('the verbs in the shell', () => {
  it('df, du, find, mv, ln, chmod, chown, touch', async () => {
    const img = ext('ext4', 'shell.ext4');
    const r = await shell(
      [
        'cd /etc',
        'mv hostname sub',
        'ln -s sub/hostname name',
        'ln sub/hostname /hard',
        'chmod 600 /hard',
        'chown 5:6 sub',
        'touch new 0',
        'find / -type f -name h*',
        'du -s /var',
        'df -h',
      ].join('\n'),
      img,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^\/etc\/sub\/hostname\n\/hard\n/m);
    expect(r.out).toMatch(/^\d+\t\/var$/m);
    expect(r.out).toMatch(/^Filesystem\s+Type\s+Size/m);
    expect(e2fsckVerdict(img).state).toBe('clean');
    const st = JSON.parse((await ok('stat', '--json', img, '/hard')).out);
    expect(st).toMatchObject({ mode: 0o600, nlink: 2 });
    expect(JSON.parse((await ok('stat', '--json', img, '/etc/sub')).out)).toMatchObject({ uid: 5, gid: 6 });
    expect(JSON.parse((await ok('stat', '--json', img, '/etc/new')).out)).toMatchObject({ mtime: 0 });
  });
});

describe('--help of each command: its defaults and an example', () => {
  const commands = [
    ...['extract', 'df', 'du', 'find', 'chmod', 'chown', 'mv', 'ln', 'touch', 'check', 'schema'],
    ...['build', 'ext-build', 'fat-build', 'convert', 'info', 'ls', 'cat', 'stat', 'mkdir', 'rm', 'add', 'shell'],
    'repack',
  ];
  it('covers every command', async () => {
    const listed = (await cli('--help')).out.split('Commands:')[1]?.match(/^ {2}(\S+?)[\s|]/gm) ?? [];
    const names = listed.map((l) => l.trim().replace(/\|$/, '')).filter((n) => n !== 'help');
    expect(names.sort()).toEqual([...commands].sort());
  });
  for (const c of commands) {
    it(c, async () => {
      const r = await cli(c, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/Defaults?:/);
      expect(r.out).toMatch(/Example:\n {2}fstool /);
    });
  }
});

describe.skipIf(!haveTools('mke2fs', 'debugfs', 'qemu-img'))('check', () => {
  it('clean images pass; damage is named with where it is and exits 2', async () => {
    const img = ext('ext4', 'check.ext4');
    const clean = await ok('check', img);
    expect(clean.out).toMatch(/check\.ext4: ext4: clean \(1 groups, \d+ inodes reached\)/);
    const qcow = tmp.join('check.qcow2');
    mustRun('qemu-img', ['convert', '-O', 'qcow2', img, qcow]);
    expect((await ok('check', qcow)).out).toMatch(/qcow2: 0 corruptions, 0 leaked clusters\n.*ext4: clean/);
    mustRun('debugfs', ['-w', '-R', 'sif /etc/old links_count 5', img]);
    const bad = await cli('check', img);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/^ {2}\/etc\/old: inode \d+ has link count 5, 1 names reach it$/m);
    const json = JSON.parse((await cli('check', '--json', img)).out);
    expect(json).toMatchObject({ clean: false, volumes: [{ index: 0, type: 'ext4', supported: true }] });
  });
});

describe.skipIf(!haveTools('fsck.vfat'))('check on FAT', () => {
  it('a clean volume passes; differing FAT copies and lost clusters are named', async () => {
    const img = tmp.join('check.vfat');
    expect((await cli('fat-build', src, '-o', img, '--size', '8MiB', '--fat', '16')).code).toBe(0);
    expect((await ok('check', img)).out).toMatch(
      /check\.vfat: fat16: clean \(2 FATs, \d+ entries, \d+ clusters in use\)/,
    );
    const bytes = readFileSync(img);
    const reserved = bytes.readUInt16LE(14);
    const fatSectors = bytes.readUInt16LE(22);
    // A cluster marked end-of-chain in both FATs that no file owns, and a difference in copy 2 only.
    for (const fat of [reserved * 512, (reserved + fatSectors) * 512]) bytes.writeUInt16LE(0xffff, fat + 2 * 3000);
    bytes.writeUInt16LE(0xfff8, (reserved + fatSectors) * 512 + 2 * 3001);
    writeFileSync(img, bytes);
    expect(fsckVfatVerdict(img).state).not.toBe('clean');
    const bad = await cli('check', img);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/^ {2}FAT copy 2 differs from the first at byte \d+$/m);
    expect(bad.out).toMatch(/^ {2}1 clusters are in use but belong to no file \(lost clusters\)$/m);
  });
});
