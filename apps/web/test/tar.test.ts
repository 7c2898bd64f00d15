import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { MemoryDevice } from '@fstool/blockdev';
import { bytesSource, type Entry, treeFromEntries } from '@fstool/fs';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { buildImage, createRegistry } from 'fstool/browser';
import { afterAll, describe, expect, it } from 'vitest';
import { tarFolder } from '../src/tar.js';

const tmp = tempDir('fstool-web-tar-');
afterAll(() => tmp.cleanup());

const long = `${'d'.repeat(90)}/${'n'.repeat(120)}.txt`;
const meta = { uid: 0, gid: 0, mtime: 1_700_000_000 };
const text = new TextEncoder().encode('a long name\n');

describe.skipIf(!haveTools('tar'))('tarFolder', () => {
  it('writes a tar GNU tar reads: long names (pax), symlinks, devices, modes and contents', async () => {
    const entries: Entry[] = [
      { path: `/${long.split('/')[0]}`, kind: 'dir', mode: 0o750, size: 0, ...meta },
      { path: `/${long}`, kind: 'file', mode: 0o600, size: text.length, open: () => bytesSource(text), ...meta },
      { path: '/link', kind: 'symlink', mode: 0o777, size: 6, target: 'target', ...meta },
      { path: '/null', kind: 'char', mode: 0o666, size: 0, rdev: { major: 1, minor: 3 }, ...meta },
    ];
    const out = new MemoryDevice(0, { growable: true });
    const spec = '[filesystem]\ntype = "ext4"\nsize = "auto"\nsource = "t"\nmtime = "2024-01-01T00:00:00Z"\n';
    const registry = createRegistry();
    await buildImage(spec, { registry, output: async () => out, trees: [treeFromEntries(entries)] });
    const fs = await registry.get('ext4').open(new MemoryDevice(out.bytes()), { writable: false });
    const chunks: Uint8Array[] = [];
    for await (const c of tarFolder(fs, '/')) chunks.push(c.slice());
    await fs.close();
    const tar = tmp.join('root.tar');
    writeFileSync(tar, Buffer.concat(chunks));

    const listing = mustRun('tar', ['-tvf', tar]);
    expect(listing).toMatch(/^drwxr-x--- 0\/0 .* root\/d{90}\/$/m);
    expect(listing).toMatch(/^-rw------- 0\/0 +12 .* root\/d{90}\/n{120}\.txt$/m);
    expect(listing).toMatch(/^lrwxrwxrwx 0\/0 .* root\/link -> target$/m);
    expect(listing).toMatch(/^crw-rw-rw- 0\/0 +1,3 .* root\/null$/m);
    mustRun('tar', ['-xf', tar, '-C', tmp.path, '--exclude', 'root/null']);
    expect(readFileSync(tmp.join('root', long), 'utf8')).toBe('a long name\n');
    expect(readlinkSync(tmp.join('root', 'link'))).toBe('target');
  });
});
