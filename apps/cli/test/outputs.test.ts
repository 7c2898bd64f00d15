import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

const tmp = tempDir('fstool-out-');
afterAll(() => tmp.cleanup());

const src = tmp.join('src');
const spec = tmp.join('fs.toml');
const img = tmp.join('base.ext4');
const fifo = tmp.join('fifo');
const nullDev = tmp.join('null');
const dir = tmp.join('a-directory');

beforeAll(async () => {
  mkdirSync(src);
  writeFileSync(`${src}/hello`, 'hi\n');
  writeFileSync(spec, '[filesystem]\ntype = "ext4"\nsize = "8MiB"\nsource = "src"\n');
  expect((await cli('ext-build', src, '-o', img, '--size', '8MiB')).code).toBe(0);
  mustRun('mkfifo', [fifo]);
  mustRun('mknod', [nullDev, 'c', '1', '3']);
  mkdirSync(dir);
});

/** Each command that writes an output, aimed at `out`. */
const writers = (out: string): string[][] => [
  ['build', spec, '-o', out],
  ['ext-build', src, '-o', out, '--size', '8MiB'],
  ['fat-build', src, '-o', out, '--size', '8MiB'],
  ['convert', img, out],
  ['repack', img, out],
];

describe.skipIf(!haveTools('mkfifo', 'mknod'))('-o names something that is not a regular file', () => {
  it('a character device or FIFO is refused and stays what it was', async () => {
    for (const [out, kind] of [
      [nullDev, 'a character device'],
      [fifo, 'a FIFO'],
    ] as const) {
      for (const argv of writers(out)) {
        const r = await cli(...argv);
        expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(2);
        expect(r.err).toContain(`${out} is ${kind}: the output must be a regular file`);
      }
    }
    expect(lstatSync(nullDev).isCharacterDevice()).toBe(true);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(tmp.path).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a directory, or a missing parent directory, fails before any work', async () => {
    for (const argv of writers(dir)) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain(`${dir} is a directory`);
    }
    expect(readdirSync(dir)).toEqual([]);
    const r = await cli('convert', img, tmp.join('no/such/dir/out.qcow2'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/directory .*no\/such\/dir does not exist/);
  });

  it('converting or repacking an image onto itself (under any name) is refused', async () => {
    const alias = tmp.join('alias.ext4');
    linkSync(img, alias);
    for (const argv of [
      ['convert', img, alias],
      ['convert', img, img],
      ['repack', img, alias],
    ]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/is the source image/);
    }
    expect((await cli('cat', img, '/hello')).bytes.toString()).toBe('hi\n');
    expect(existsSync(alias)).toBe(true);
  });
});
