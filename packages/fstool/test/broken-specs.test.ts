import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { FsError } from '@fstool/blockdev';
import { tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../src/index.js';
import { buildSpecFile } from '../src/node.js';

const tmp = tempDir('fstool-broken-');
afterAll(() => tmp.cleanup());
mkdirSync(tmp.join('tree'));
writeFileSync(tmp.join('tree', 'big.bin'), new Uint8Array(3 * 2 ** 20).fill(7));

const cases: Array<[string, string, RegExp]> = [
  ['syntax error', '[filesystem\ntype = "ext4"\n', /broken\.toml:1:\d+: /],
  [
    'unknown key',
    '[filesystem]\ntype = "ext4"\nblok_size = 1024\n',
    /filesystem\.blok_size.*did you mean "block_size"/,
  ],
  ['bad size', '[filesystem]\ntype = "ext4"\nsize = "12 parsecs"\n', /filesystem\.size/],
  [
    'partitions that do not fit',
    '[image]\nsize = "8MiB"\npartition_table = "mbr"\n[[partitions]]\nname = "a"\ntype = "linux"\nsize = "6MiB"\n[[partitions]]\nname = "b"\ntype = "linux"\nsize = "6MiB"\n',
    /does not fit|do not fit|too small|bytes/,
  ],
  [
    'missing source dir',
    '[filesystem]\ntype = "ext4"\nsource = "no-such-dir"\n',
    /filesystem\.source: .*no-such-dir does not exist/,
  ],
  [
    'duplicate name',
    '[image]\nsize = "64MiB"\npartition_table = "gpt"\n[[partitions]]\nname = "a"\ntype = "linux"\nsize = "8MiB"\n[[partitions]]\nname = "a"\ntype = "linux"\nsize = "8MiB"\n',
    /partitions\[1\]\.name.*"a"/,
  ],
  [
    'remaining not last',
    '[image]\nsize = "64MiB"\npartition_table = "gpt"\n[[partitions]]\nname = "a"\ntype = "linux"\nsize = "remaining"\n[[partitions]]\nname = "b"\ntype = "linux"\nsize = "8MiB"\n',
    /partitions\[0\]\.size.*remaining/,
  ],
  ['FAT32 volume too small', '[filesystem]\ntype = "fat32"\nsize = "8MiB"\n', /FAT32|fat32/],
  ['tree bigger than the size', '[filesystem]\ntype = "ext4"\nsource = "tree"\nsize = "1MiB"\n', /needs at least/],
];

describe('broken specs', () => {
  it.each(cases)('%s: a clear FsError and no output file', async (_name, text, message) => {
    const spec = tmp.join('broken.toml');
    writeFileSync(spec, text);
    const output = tmp.join('out.img');
    const err = await buildSpecFile(spec, { output, registry: createRegistry(), env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FsError);
    expect((err as Error).message).toMatch(message);
    expect(existsSync(output)).toBe(false);
    expect(readdirSync(tmp.path).filter((n) => n.includes('fstool-') && n.endsWith('.tmp'))).toEqual([]);
  });
});
