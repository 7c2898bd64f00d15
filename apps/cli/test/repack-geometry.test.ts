import { mkdirSync, writeFileSync } from 'node:fs';
import { haveTools, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

const tmp = tempDir('fstool-repack-geometry-');
afterAll(() => tmp.cleanup());

const header = (img: string, key: string) =>
  new RegExp(`^${key}:\\s+(\\d+)$`, 'm').exec(mustRun('dumpe2fs', ['-h', img]))?.[1];

describe.skipIf(!haveTools('mke2fs', 'debugfs', 'dumpe2fs', 'e2fsck'))('repack keeps the source geometry', () => {
  it('repacks a 4 KiB-block image holding a 1.5 KB xattr with 4 KiB blocks and the source inode size', async () => {
    const src = tmp.join('src');
    mkdirSync(src);
    writeFileSync(`${src}/f`, 'data\n');
    const img = tmp.join('big-blocks.img');
    // A small image made with 4 KiB blocks: the builder's default for 16 MiB would be 1 KiB.
    mustRun('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '4096', '-I', '128', '-d', src, img, '16M']);
    writeFileSync(tmp.join('value'), 'x'.repeat(1536));
    mustRun('debugfs', ['-w', '-R', `ea_set -f ${tmp.join('value')} /f user.big`, img]);
    expect(runTool('e2fsck', ['-fn', img]).code).toBe(0);

    const out = tmp.join('repacked.img');
    const r = await cli('repack', img, out);
    expect(r.code, r.err).toBe(0);
    expect(header(out, 'Block size')).toBe('4096');
    expect(header(out, 'Inode size')).toBe('128');
    const fsck = runTool('e2fsck', ['-fn', out]);
    expect(fsck.code, fsck.stdout).toBe(0);
    expect(mustRun('debugfs', ['-R', 'ea_get /f user.big', out])).toContain('x'.repeat(64));
    expect((await cli('cat', out, '/f')).bytes.toString()).toBe('data\n');

    // An explicit --block-size still wins; the inode size stays when it fits the block.
    const small = tmp.join('small-blocks.img');
    const s = await cli('repack', img, small, '--block-size', '2048');
    expect(s.code, s.err).toBe(0);
    expect(header(small, 'Block size')).toBe('2048');
    expect(header(small, 'Inode size')).toBe('128');
    expect(runTool('e2fsck', ['-fn', small]).code).toBe(0);

    // Inodes bigger than the builder writes (mke2fs -I 512) become 256-byte ones.
    const wide = tmp.join('wide-inodes.img');
    mustRun('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '4096', '-I', '512', '-d', src, wide, '16M']);
    const w = await cli('repack', wide, tmp.join('wide-out.img'));
    expect(w.code, w.err).toBe(0);
    expect(header(tmp.join('wide-out.img'), 'Inode size')).toBe('256');
  });
});
