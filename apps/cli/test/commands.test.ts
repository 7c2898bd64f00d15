import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { haveTools, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

const tmp = tempDir('fstool-cli-');
afterAll(() => tmp.cleanup());

const src = tmp.join('src');
mkdirSync(`${src}/etc/conf.d`, { recursive: true });
writeFileSync(`${src}/etc/hostname`, 'box\n');
writeFileSync(`${src}/etc/conf.d/net`, 'dhcp\n');
symlinkSync('hostname', `${src}/etc/name`);
writeFileSync(tmp.join('extra.txt'), 'added later\n');
mkdirSync(tmp.join('big'));
writeFileSync(tmp.join('big', 'blob'), new Uint8Array(2 ** 20).fill(1));

describe.skipIf(!haveTools('e2fsck', 'fsck.vfat', 'qemu-img'))('fstool commands', () => {
  it('ext-build → ls -l / cat / stat / add / mkdir -p / rm, and e2fsck stays clean', async () => {
    const img = tmp.join('root.ext4');
    const built = await cli(
      'ext-build',
      src,
      '-o',
      img,
      '--kind',
      'ext4',
      '--size',
      '16MiB',
      '--mtime',
      '2024-01-01T00:00:00Z',
      '--squash-owner',
      '--label',
      'root',
    );
    expect(built.code, built.err).toBe(0);
    expect(built.out).toMatch(/wrote .*root\.ext4: ext4 raw image of 16\.0 MiB/);
    expect(runTool('e2fsck', ['-fn', img]).code).toBe(0);

    const ls = await cli('ls', img, '/etc', '-l');
    expect(ls.code, ls.err).toBe(0);
    expect(ls.out).toMatch(/^-rw-r--r--\s+1\s+0\s+0\s+4\s+2024-01-01 00:00\s+hostname$/m);
    expect(ls.out).toMatch(/^l.*name -> hostname$/m);
    expect(ls.out).toMatch(/^d.*conf\.d$/m);

    const cat = await cli('cat', img, '/etc/conf.d/net');
    expect(cat.bytes.toString()).toBe('dhcp\n');

    const stat = JSON.parse((await cli('stat', img, '/etc/hostname', '--json')).out);
    expect(stat).toMatchObject({ path: '/etc/hostname', kind: 'file', size: 4, uid: 0, mode: 0o644 });

    expect((await cli('add', img, tmp.join('extra.txt'), '/etc')).code).toBe(0);
    expect((await cli('cat', img, '/etc/extra.txt')).bytes.toString()).toBe('added later\n');
    expect((await cli('mkdir', img, '/var/lib/app', '-p')).code).toBe(0);
    expect((await cli('rm', img, '/etc/conf.d', '-r')).code).toBe(0);
    const rec = await cli('ls', img, '-R', '--json');
    const paths = JSON.parse(rec.out).map((e: { path: string }) => e.path);
    expect(paths).toContain('/var/lib/app');
    expect(paths).not.toContain('/etc/conf.d');
    const fsck = runTool('e2fsck', ['-fn', img]);
    expect(fsck.code, fsck.stdout).toBe(0);
  });

  it('errors name the path and exit 2; nothing is left behind on a failed build', async () => {
    const img = tmp.join('root2.ext4');
    expect((await cli('ext-build', src, '-o', img, '--kind', 'ext4', '--size', '16MiB')).code).toBe(0);
    const missing = await cli('cat', img, '/nope');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/\/nope: no such file or directory/);
    const tooSmall = await cli('ext-build', tmp.join('big'), '-o', tmp.join('small.ext4'), '--size', '512KiB');
    expect(tooSmall.code).toBe(2);
    expect(existsSync(tmp.join('small.ext4'))).toBe(false);
    const noDir = await cli('ext-build', tmp.join('absent'), '-o', tmp.join('x.img'));
    expect(noDir.code).toBe(2);
    expect(noDir.err).toMatch(/absent does not exist/);
  });

  it('--size auto is the smallest that fits; --headroom adds room', async () => {
    const tight = JSON.parse(
      (await cli('ext-build', src, '-o', tmp.join('auto.ext4'), '--kind', 'ext4', '--json')).out,
    );
    const roomy = JSON.parse(
      (await cli('ext-build', src, '-o', tmp.join('roomy.ext4'), '--kind', 'ext4', '--headroom', '200%', '--json')).out,
    );
    expect(roomy.size).toBeGreaterThan(tight.size);
    for (const img of ['auto.ext4', 'roomy.ext4']) expect(runTool('e2fsck', ['-fn', tmp.join(img)]).code).toBe(0);
  });

  it('fat-build, then convert to qcow2 and back; info describes both', async () => {
    const img = tmp.join('boot.vfat');
    const r = await cli(
      'fat-build',
      src,
      '-o',
      img,
      '--fat',
      '16',
      '--size',
      '32MiB',
      '--label',
      'BOOT',
      '--mtime',
      '2024-01-01T00:00:00Z',
    );
    expect(r.code, r.err).toBe(0);
    expect(runTool('fsck.vfat', ['-n', img]).code).toBe(0);
    const q = tmp.join('boot.qcow2');
    expect((await cli('convert', img, q)).code).toBe(0);
    expect(runTool('qemu-img', ['check', q]).code).toBe(0);
    const back = tmp.join('back.img');
    expect((await cli('convert', q, back, '--format', 'raw')).code).toBe(0);
    expect(readFileSync(back).equals(readFileSync(img))).toBe(true);
    const info = JSON.parse((await cli('info', q, '--json')).out);
    expect(info).toMatchObject({ type: expect.stringMatching(/fat16/i), label: 'BOOT' });
    expect((await cli('ls', q, '/etc')).out.split('\n').filter(Boolean)).toEqual(['conf.d', 'hostname']);
  });

  it('build a partitioned disk from a spec; info lists partitions; IMG:N addresses one', async () => {
    writeFileSync(
      tmp.join('disk.toml'),
      `[image]\nsize = "64MiB"\npartition_table = "gpt"\nseed = "cli"\n[[partitions]]\nname = "esp"\ntype = "esp"\nsize = "33MiB"\n  [partitions.filesystem]\n  type = "fat32"\n  source = "src"\n[[partitions]]\nname = "root"\ntype = "linux"\nsize = "remaining"\n  [partitions.filesystem]\n  type = "ext4"\n  source = "src"\n`,
    );
    const disk = tmp.join('disk.img');
    const b = await cli('build', tmp.join('disk.toml'), '-o', disk);
    expect(b.code, b.err).toBe(0);
    const info = await cli('info', disk);
    expect(info.out).toMatch(/table:\s+gpt/);
    expect(info.out).toMatch(/^1\s.*esp.*fat32/im);
    expect(info.out).toMatch(/^2\s.*root.*ext4/m);
    // One partition's filesystem: sizes read as the container's do; --json keeps bytes.
    const root = await cli('info', `${disk}:2`);
    expect(root.out).toMatch(/^size:\s+29\.98 MiB \(31439872 bytes\)$/m);
    expect(JSON.parse((await cli('info', `${disk}:2`, '--json')).out).size).toBe(31439872);
    expect((await cli('cat', `${disk}:2`, '/etc/hostname')).bytes.toString()).toBe('box\n');
    expect((await cli('cat', `${disk}:1`, '/etc/hostname')).bytes.toString()).toBe('box\n');
    const bare = await cli('ls', disk);
    expect(bare.code).toBe(2);
    expect(bare.err).toMatch(/choose a partition with IMG:N/);
    expect(mustRun('sgdisk', ['-v', disk])).toMatch(/No problems found/);
  });
});
