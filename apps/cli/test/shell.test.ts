import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { haveTools, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, shell } from './run-cli.js';

const tmp = tempDir('fstool-shell-');
afterAll(() => tmp.cleanup());

/** Copies partition `n` of a disk (raw or qcow2) out to a raw file, for the checkers. */
function extractPartition(disk: string, n: number, to: string): string {
  const raw = `${to}.disk`;
  mustRun('qemu-img', ['convert', '-O', 'raw', disk, raw]);
  const table = JSON.parse(mustRun('sfdisk', ['--json', raw])).partitiontable;
  const p = table.partitions[n - 1];
  mustRun('dd', [`if=${raw}`, `of=${to}`, 'bs=512', `skip=${p.start}`, `count=${p.size}`, 'status=none']);
  return to;
}

const src = tmp.join('src');
const host = tmp.join('host');

beforeAll(() => {
  mkdirSync(`${src}/etc`, { recursive: true });
  writeFileSync(`${src}/etc/hostname`, 'box\n');
  writeFileSync(`${src}/README`, 'hello\n');
  mkdirSync(`${host}/tree/sub`, { recursive: true });
  writeFileSync(`${host}/tree/sub/a.txt`, 'a'.repeat(10_000));
  writeFileSync(`${host}/tree/b.txt`, 'b\n');
  writeFileSync(`${host}/note.txt`, 'from the host\n');
  mkdirSync(`${host}/plain/sub`, { recursive: true });
  writeFileSync(`${host}/plain/sub/a.txt`, 'a'.repeat(10_000));
  writeFileSync(`${host}/plain/b.txt`, 'b\n');
  symlinkSync('b.txt', `${host}/tree/link`);
});

describe.skipIf(!haveTools('e2fsck', 'fsck.vfat', 'qemu-img', 'sfdisk'))('fstool shell (scripted)', () => {
  it('works on the ext4 partition of a GPT qcow2 disk; e2fsck is clean after the edits', async () => {
    writeFileSync(
      tmp.join('disk.toml'),
      `[image]\nsize = "48MiB"\npartition_table = "gpt"\nseed = "shell"\n[[partitions]]\nname = "data"\ntype = "linux"\nsize = "8MiB"\n[[partitions]]\nname = "root"\ntype = "linux"\nsize = "remaining"\n  [partitions.filesystem]\n  type = "ext4"\n  source = "src"\n  volume_label = "root"\n`,
    );
    const disk = tmp.join('disk.qcow2');
    const b = await cli('build', tmp.join('disk.toml'), '-o', disk);
    expect(b.code, b.err).toBe(0);

    const got = tmp.join('hostname.out');
    const script = [
      'pwd',
      'cd etc',
      'pwd',
      'ls -l',
      'cat hostname',
      `get hostname ${got}`,
      'cd ..',
      `put ${host}/note.txt /etc`,
      `put ${host}/tree /opt`,
      'mkdir -p /var/lib/app',
      'mkdir /var/log',
      'cat /nope',
      'bogus',
      'rm /README',
      'stat /etc/note.txt',
      'ls /opt/sub',
      'info',
      'df',
      'cd /opt',
      'rm -r sub',
      'ls',
      'exit',
      'ls /this-is-never-run',
    ].join('\n');
    const r = await shell(script, `${disk}:2`);
    // Two commands failed (cat /nope, bogus): the session went on, and the exit status says so.
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\/nope: no such file or directory/);
    expect(r.err).toMatch(/unknown command "bogus"/);
    expect(r.err).toMatch(/2 commands failed/);
    expect(r.err).not.toMatch(/this-is-never-run/);
    expect(r.out).not.toMatch(/fstool:\//); // no prompt when stdin is not a terminal
    expect(r.out).toMatch(/^\/\n\/etc\n/);
    expect(r.out).toMatch(/^-rw-r--r--.*hostname$/m);
    expect(r.bytes).toBe('box\n');
    expect(readFileSync(got, 'utf8')).toBe('box\n');
    expect(r.out).toMatch(/^a\.txt$/m);
    expect(r.out).toMatch(/label:\s+root/);
    expect(r.out).toMatch(/^Filesystem\s+Type\s+1K-blocks/m);
    expect(r.out).toMatch(/path:\s+\/etc\/note\.txt/);
    expect(r.out.trimEnd().split('\n').slice(-2)).toEqual(['b.txt', 'link']);

    const ls = await cli('ls', `${disk}:2`, '/', '--json');
    const names = JSON.parse(ls.out).map((e: { path: string }) => e.path);
    expect(names).not.toContain('/README');
    expect((await cli('cat', `${disk}:2`, '/etc/note.txt')).bytes.toString()).toBe('from the host\n');
    expect(JSON.parse((await cli('stat', `${disk}:2`, '/var/lib/app', '--json')).out).kind).toBe('dir');
    expect(runTool('qemu-img', ['check', disk]).code).toBe(0);
    const part = extractPartition(disk, 2, tmp.join('root.ext4'));
    const fsck = runTool('e2fsck', ['-fn', part]);
    expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
  });

  it('works on a FAT32 image; fsck.vfat is clean after the edits', async () => {
    const img = tmp.join('esp.vfat');
    const b = await cli('fat-build', src, '-o', img, '--fat', '32', '--size', '40MiB', '--label', 'ESP');
    expect(b.code, b.err).toBe(0);
    const script = [
      'ls',
      `put ${host}/plain /EFI`,
      `put ${host}/tree /linky`,
      'mkdir -p /boot/grub',
      'rm /README',
      'cat /EFI/b.txt',
      'ls -l /EFI',
      'df',
      'quit',
    ].join('\n');
    const r = await shell(script, img);
    // FAT cannot hold the symlink: that put fails part-way, the session goes on, the image stays valid.
    expect(r.err).toMatch(/\/linky\/link: FAT cannot hold a symlink/);
    expect(r.err).toMatch(/1 command failed/);
    expect(r.out).toMatch(/^README$/m);
    expect(r.bytes).toBe('b\n');
    expect(r.out).toMatch(/^d.*sub$/m);
    const fsck = runTool('fsck.vfat', ['-n', img]);
    expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
    const dir = mustRun('mdir', ['-i', img, '-b', '::/EFI/sub']);
    expect(dir).toMatch(/a\.txt/i);
    expect(mustRun('mtype', ['-i', img, '::/EFI/sub/a.txt'])).toBe('a'.repeat(10_000));
  });

  it('--ro refuses writing commands and leaves the image untouched', async () => {
    const img = tmp.join('ro.ext4');
    expect((await cli('ext-build', src, '-o', img, '--kind', 'ext4', '--size', '8MiB')).code).toBe(0);
    const before = readFileSync(img);
    const r = await shell('rm /README\nmkdir /x\nput /etc/hostname /\ncat /README\n', img, '--ro');
    expect(r.err.match(/read-only/g)?.length).toBe(3);
    expect(r.bytes).toBe('hello\n');
    expect(readFileSync(img).equals(before)).toBe(true);
  });
});
