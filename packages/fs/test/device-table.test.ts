import { writeFileSync } from 'node:fs';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyDeviceTable,
  collectTree,
  DeviceTableError,
  type Entry,
  parseDeviceTable,
  rootDevices,
  treeFromEntries,
  withRootDevices,
} from '../src/index.js';

const TABLE = `# name type mode uid gid major minor start inc count
/dev		d	755	0	0	-	-	-	-	-
/dev/mem	c	640	0	15	1	1	0	0	-
/dev/tty	c	666	0	0	5	0	0	0	-
/dev/tty	c	620	0	5	4	0	0	1	6   # tty0..tty5
/dev/hda	b	640	0	6	3	1	1	1	4
/dev/x	c	600	70000	80000	4	10	2	3	5
/dev/p	p	644	0	0	-	-	-	-	-
/dev/log	s	666	0	0
/etc	d	700	0	0
/etc/empty	f	600	1	2
`;

const summary = (es: Entry[]) =>
  es.map(
    (e) =>
      `${e.path} ${e.kind} ${e.mode.toString(8)} ${e.uid}:${e.gid}${e.rdev ? ` ${e.rdev.major},${e.rdev.minor}` : ''}`,
  );

const rootOnly = () => treeFromEntries([]);

describe('parseDeviceTable', () => {
  it('parses fields, comments, "-" and missing trailing fields', () => {
    const t = parseDeviceTable(TABLE, 'dt.txt');
    expect(t.lines).toHaveLength(10);
    expect(t.lines[1]).toEqual({
      source: 'dt.txt',
      line: 3,
      path: '/dev/mem',
      kind: 'char',
      mode: 0o640,
      uid: 0,
      gid: 15,
      major: 1,
      minor: 1,
      start: 0,
      inc: 0,
    });
    expect(t.lines[7]).toEqual({
      source: 'dt.txt',
      line: 9,
      path: '/dev/log',
      kind: 'socket',
      mode: 0o666,
      uid: 0,
      gid: 0,
    });
  });

  it.each([
    ['/dev/a c', 'dt:2: expected'],
    ['/dev/a q 644', 'dt:2: unknown type "q"'],
    ['/dev/a c 648', 'dt:2: mode "648" of /dev/a is not an octal number'],
    ['/dev/a c 20644', 'more than permission bits'],
    ['/dev/a c 644 x', 'uid "x" of /dev/a is not a decimal number'],
    ['/dev/a c 644 0 0 4096 0', 'major 4096 of /dev/a is larger than 4095'],
    ['/dev/a c 644 0 0 1 1 0 1 100000', 'more than 65536 entries'],
    [`/dev/${'n'.repeat(300)} c 644`, 'longer than 255 bytes'],
    ['/ c 644', 'root can only be a directory'],
    ['/a c 644 0 0 1 2 3 4 5 6', 'too many fields'],
  ])('rejects %j naming the file and line', (line, msg) => {
    let err: unknown;
    try {
      parseDeviceTable(`# header\n${line}\n`, 'dt');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeviceTableError);
    expect((err as Error).message).toMatch(/^dt:2: /);
    expect((err as Error).message).toContain(msg);
    expect((err as DeviceTableError).line).toBe(2);
  });
});

describe('applyDeviceTable', () => {
  it('creates entries with count expansion as genext2fs does', async () => {
    const out = await collectTree(applyDeviceTable(rootOnly(), parseDeviceTable(TABLE, 'dt'), { mtime: 77 }));
    expect(summary(out)).toEqual([
      '/ dir 755 0:0',
      '/dev dir 755 0:0',
      '/dev/hda1 block 640 0:6 3,1',
      '/dev/hda2 block 640 0:6 3,2',
      '/dev/hda3 block 640 0:6 3,3',
      '/dev/log socket 666 0:0',
      '/dev/mem char 640 0:15 1,1',
      '/dev/p fifo 644 0:0',
      '/dev/tty char 666 0:0 5,0',
      '/dev/tty0 char 620 0:5 4,0',
      '/dev/tty1 char 620 0:5 4,1',
      '/dev/tty2 char 620 0:5 4,2',
      '/dev/tty3 char 620 0:5 4,3',
      '/dev/tty4 char 620 0:5 4,4',
      '/dev/tty5 char 620 0:5 4,5',
      '/dev/x2 char 600 70000:80000 4,14',
      '/dev/x3 char 600 70000:80000 4,17',
      '/dev/x4 char 600 70000:80000 4,20',
      '/etc dir 700 0:0',
      '/etc/empty file 600 1:2',
    ]);
    expect(out[1]).toMatchObject({ mtime: 77, atime: 77, ctime: 77 });
    const f = out[out.length - 1]!;
    expect(f.size).toBe(0);
    expect(await f.open!().read(0, new Uint8Array(4))).toBe(0);
  });

  it('overrides mode/owner of existing entries, keeping contents and times', async () => {
    const tree = treeFromEntries([
      { path: '/etc', kind: 'dir', mode: 0o755, uid: 5, gid: 5, mtime: 9, size: 0 },
      { path: '/etc/passwd', kind: 'file', mode: 0o644, uid: 5, gid: 5, mtime: 9, size: 3 },
      { path: '/dev', kind: 'dir', mode: 0o700, uid: 5, gid: 5, mtime: 9, size: 0 },
      { path: '/dev/tty', kind: 'char', mode: 0o600, uid: 5, gid: 5, mtime: 9, size: 0, rdev: { major: 9, minor: 9 } },
    ]);
    const table = parseDeviceTable('/etc/passwd f 600 0 0\n/dev/tty c 666 0 0 5 0\n/dev/tty c 640 1 1\n', 't');
    const out = await collectTree(applyDeviceTable(tree, table));
    expect(summary(out)).toEqual([
      '/ dir 755 0:0',
      '/dev dir 700 5:5',
      '/dev/tty char 640 1:1 5,0',
      '/etc dir 755 5:5',
      '/etc/passwd file 600 0:0',
    ]);
    expect(out[4]).toMatchObject({ size: 3, mtime: 9 });
  });

  it('creates missing parents, or refuses them naming the line', async () => {
    const table = parseDeviceTable('# x\n/a/b/c c 600 0 0 1 3\n', 'dt');
    const out = await collectTree(applyDeviceTable(rootOnly(), table, { mtime: 5 }));
    expect(summary(out)).toEqual(['/ dir 755 0:0', '/a dir 755 0:0', '/a/b dir 755 0:0', '/a/b/c char 600 0:0 1,3']);
    expect(out[1]?.mtime).toBe(5);
    await expect(collectTree(applyDeviceTable(rootOnly(), table, { missingParents: 'error' }))).rejects.toThrow(
      /dt:2: parent directory \/a\/b does not exist/,
    );
  });

  it('refuses kind changes and children of non-directories', async () => {
    const tree = treeFromEntries([{ path: '/dev', kind: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 0 }]);
    await expect(collectTree(applyDeviceTable(tree, parseDeviceTable('/dev d 755', 'dt')))).rejects.toThrow(
      /dt:1: \/dev is a file in the tree, not a dir/,
    );
    await expect(
      collectTree(applyDeviceTable(tree, parseDeviceTable('\n/dev/null c 666 0 0 1 3', 'dt'))),
    ).rejects.toThrow(/dt:2: \/dev is not a directory/);
  });
});

describe.skipIf(!haveTools('genext2fs', 'debugfs'))('applyDeviceTable matches genext2fs -D', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('creates the same nodes, names, modes, owners and device numbers', async () => {
    // genext2fs skips lines whose parent is missing, so this table creates its directories first.
    // genext2fs 1.4 keeps only 16-bit ids: compare with small ones.
    const table = TABLE.replace('70000\t80000', '700\t800');
    writeFileSync(tmp.join('dt.txt'), table);
    mustRun('mkdir', ['-p', tmp.join('root')]);
    mustRun('genext2fs', ['-b', '1024', '-N', '64', '-d', tmp.join('root'), '-D', tmp.join('dt.txt'), tmp.join('img')]);
    const theirs: string[] = [];
    const walk = (dir: string) => {
      const ls = mustRun('debugfs', ['-R', `ls -p ${dir}`, tmp.join('img')]);
      for (const line of ls.split('\n')) {
        // /ino/mode/uid/gid/name/size/
        const m = /^\/(\d+)\/(\d+)\/(\d+)\/(\d+)\/([^/]*)\//.exec(line.trim());
        if (!m || m[5] === '.' || m[5] === '..' || m[5] === 'lost+found') continue;
        const [, ino, modeText, uid, gid, name] = m;
        const path = `${dir === '/' ? '' : dir}/${name}`;
        const mode = Number.parseInt(modeText!, 8);
        let rdev = '';
        if ((mode & 0o170000) === 0o020000 || (mode & 0o170000) === 0o060000) {
          const st = mustRun('debugfs', ['-R', `stat <${ino}>`, tmp.join('img')]);
          const d = /Device major\/minor number: (\d+):(\d+)/.exec(st);
          rdev = ` ${Number(d?.[1])},${Number(d?.[2])}`;
        }
        theirs.push(`${path} ${(mode & 0o7777).toString(8)} ${uid}:${gid}${rdev}`);
        if ((mode & 0o170000) === 0o040000) walk(path);
      }
    };
    walk('/');
    const ours = summary(await collectTree(applyDeviceTable(rootOnly(), parseDeviceTable(table, 'dt'))))
      .slice(1)
      .map((s) => s.replace(/ (dir|file|char|block|fifo|socket) /, ' '));
    expect(theirs.sort()).toEqual(ours.sort());
  });
});

describe('rootdevs', () => {
  it('minimal has the eight nodes with the Linux numbers', () => {
    expect(summary(rootDevices('minimal'))).toEqual([
      '/dev/console char 600 0:0 5,1',
      '/dev/null char 666 0:0 1,3',
      '/dev/zero char 666 0:0 1,5',
      '/dev/ptmx char 666 0:0 5,2',
      '/dev/tty char 666 0:0 5,0',
      '/dev/fuse char 666 0:0 10,229',
      '/dev/random char 666 0:0 1,8',
      '/dev/urandom char 666 0:0 1,9',
    ]);
    expect(rootDevices('none')).toEqual([]);
    expect(() => rootDevices('huge' as 'none')).toThrow(/unknown rootdevs preset "huge"/);
  });

  it('standard adds ttys, serial ports, memory and disk nodes', () => {
    const s = new Map(rootDevices('standard').map((e) => [e.path.slice(5), e]));
    const num = (n: string) => `${s.get(n)?.kind} ${s.get(n)?.rdev?.major},${s.get(n)?.rdev?.minor}`;
    expect(s.size).toBe(new Set(rootDevices('standard').map((e) => e.path)).size);
    for (const n of ['null', 'tty0', 'tty15', 'ttyS0', 'ttyS3', 'kmsg', 'mem', 'port', 'loop7', 'mmcblk0p4', 'vdd4']) {
      expect(s.has(n), n).toBe(true);
    }
    expect(num('tty15')).toBe('char 4,15');
    expect(num('ttyS3')).toBe('char 4,67');
    expect(num('kmsg')).toBe('char 1,11');
    expect(num('mem')).toBe('char 1,1');
    expect(num('port')).toBe('char 1,4');
    expect(num('sda')).toBe('block 8,0');
    expect(num('sdb3')).toBe('block 8,19');
    expect(num('sdd4')).toBe('block 8,52');
    expect(num('loop3')).toBe('block 7,3');
    expect(num('mmcblk0p2')).toBe('block 179,2');
    expect(num('vda1')).toBe('block 254,1');
  });

  it('merges under /dev, creating it when missing and replacing same-named entries', async () => {
    const out = await collectTree(withRootDevices(rootOnly(), 'minimal', { mtime: 3 }));
    expect(out.map((e) => e.path)).toEqual([
      '/',
      '/dev',
      '/dev/console',
      '/dev/fuse',
      '/dev/null',
      '/dev/ptmx',
      '/dev/random',
      '/dev/tty',
      '/dev/urandom',
      '/dev/zero',
    ]);
    expect(out[1]).toMatchObject({ kind: 'dir', mode: 0o755, mtime: 3 });
    const tree = treeFromEntries([
      { path: '/dev', kind: 'dir', mode: 0o700, uid: 0, gid: 0, mtime: 0, size: 0 },
      { path: '/dev/null', kind: 'file', mode: 0o600, uid: 0, gid: 0, mtime: 0, size: 0 },
      { path: '/dev/pts', kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 },
      { path: '/etc', kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 },
    ]);
    const merged = await collectTree(withRootDevices(tree, 'minimal'));
    expect(merged.map((e) => e.path)).toContain('/dev/pts');
    expect(merged.find((e) => e.path === '/dev')?.mode).toBe(0o700);
    expect(merged.find((e) => e.path === '/dev/null')?.kind).toBe('char');
    expect(merged.length).toBe(12);
    expect(withRootDevices(tree, 'none')).toBe(tree);
  });
});
