import { existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { haveTools, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

const tmp = tempDir('fstool-cli-repack-');
afterAll(() => tmp.cleanup());

const src = tmp.join('src');
mkdirSync(`${src}/etc`, { recursive: true });
writeFileSync(`${src}/etc/hostname`, 'box\n');
symlinkSync('hostname', `${src}/etc/name`);
symlinkSync('etc', `${src}/config`);

describe.skipIf(!haveTools('e2fsck', 'dumpe2fs', 'fsck.vfat', 'qemu-img'))('fstool repack', () => {
  it('repacks partition 2 of a GPT disk into a bare, smaller ext2 image and into FAT32', async () => {
    writeFileSync(
      tmp.join('disk.toml'),
      `[image]\nsize = "40MiB"\npartition_table = "gpt"\n[[partitions]]\ntype = "linux"\nsize = "4MiB"\n[[partitions]]\ntype = "linux"\nsize = "remaining"\n  [partitions.filesystem]\n  type = "ext4"\n  source = "src"\n`,
    );
    const disk = tmp.join('disk.img');
    expect((await cli('build', tmp.join('disk.toml'), '-o', disk)).code).toBe(0);

    const ext2 = tmp.join('root.ext2');
    const r = await cli('repack', `${disk}:2`, ext2, '--fs-type', 'ext2', '--shrink', '--block-size', '1024');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/wrote .*root\.ext2: ext2 raw image of/);
    expect(statSync(ext2).size).toBeLessThan(4 * 2 ** 20);
    expect(runTool('e2fsck', ['-fn', ext2]).code).toBe(0);
    expect(runTool('dumpe2fs', ['-h', ext2]).stdout).toMatch(/Block size:\s+1024/);
    expect((await cli('cat', ext2, '/etc/hostname')).bytes.toString()).toBe('box\n');

    const fat = tmp.join('root.qcow2');
    const f = await cli('repack', `${disk}:2`, fat, '--fs-type', 'fat32', '--size', '36MiB', '--json');
    expect(f.code, f.err).toBe(0);
    expect(JSON.parse(f.out)).toMatchObject({
      format: 'qcow2',
      warnings: [expect.stringMatching(/symlink.*2 entries/)],
    });
    expect(f.err.match(/^warning: /gm)).toHaveLength(1);
    expect(runTool('qemu-img', ['check', fat]).code).toBe(0);
    expect((await cli('cat', fat, '/etc/hostname')).bytes.toString()).toBe('box\n');
  });

  it('refuses SRC == DST and --size with --shrink (exit 2, nothing written)', async () => {
    const img = tmp.join('a.ext4');
    expect((await cli('ext-build', src, '-o', img, '--kind', 'ext4', '--size', '8MiB')).code).toBe(0);
    const same = await cli('repack', img, img);
    expect(same.code).toBe(2);
    expect(same.err).toMatch(/is the source image/);
    const both = await cli('repack', img, tmp.join('b.ext4'), '--size', '8MiB', '--shrink');
    expect(both.code).toBe(2);
    expect(existsSync(tmp.join('b.ext4'))).toBe(false);
  });

  it('convert --size grows an image and refuses to shrink one, pointing at repack --shrink', async () => {
    const img = tmp.join('c.ext4');
    expect((await cli('ext-build', src, '-o', img, '--kind', 'ext4', '--size', '8MiB')).code).toBe(0);
    const shrink = await cli('convert', img, tmp.join('c-small.img'), '--size', '4MiB');
    expect(shrink.code).toBe(2);
    expect(shrink.err).toMatch(/convert only grows images; .*fstool repack --shrink/);
    expect(existsSync(tmp.join('c-small.img'))).toBe(false);
    const grow = await cli('convert', img, tmp.join('c-big.qcow2'), '--size', '16MiB');
    expect(grow.code, grow.err).toBe(0);
    expect(grow.out).toMatch(/wrote .*c-big\.qcow2: qcow2 of 16\.0 MiB/);
  });
});
