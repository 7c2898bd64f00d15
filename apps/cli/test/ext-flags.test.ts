/** ext-build/build flags for host xattrs and zero blocks, judged by debugfs and e2fsck. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { e2fsckNoise, haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

const tmp = tempDir('fstool-cli-ext-flags-');
afterAll(() => tmp.cleanup());
const src = tmp.join('src');

const xattrNames = (img: string) =>
  [...mustRun('debugfs', ['-R', 'ea_list /f', img]).matchAll(/^\s+(\S+) \(\d+\)/gm)].map((m) => m[1]).sort();

describe.skipIf(!haveTools('debugfs', 'e2fsck', 'python3'))('ext-build and build flags', () => {
  beforeAll(() => {
    mkdirSync(src);
    writeFileSync(`${src}/f`, 'f\n');
    writeFileSync(`${src}/zeros`, Buffer.alloc(128 * 1024));
    mustRun('python3', [
      '-c',
      "import os,sys; os.setxattr(sys.argv[1],'user.a',b'1'); os.setxattr(sys.argv[1],'trusted.b',b'2')",
      `${src}/f`,
    ]);
  });

  it('ext-build --xattrs picks the namespaces; the default keeps trusted.*', async () => {
    for (const [flag, want] of [
      [[], ['trusted.b', 'user.a']],
      [['--xattrs', 'user'], ['user.a']],
      [['--xattrs', 'none'], []],
    ] as const) {
      const img = tmp.join(`x${flag.join('')}.img`);
      expect((await cli('ext-build', src, '-o', img, '--kind', 'ext4', ...flag)).code).toBe(0);
      expect(e2fsckNoise(img)).toEqual([]);
      expect(xattrNames(img)).toEqual(want);
    }
    const bad = await cli('ext-build', src, '-o', tmp.join('bad.img'), '--xattrs', 'some');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/Allowed choices are all, user, none/);
  });

  it('build --xattrs overrides the spec; ext-build --no-sparse keeps zero blocks allocated', async () => {
    const spec = tmp.join('s.toml');
    writeFileSync(spec, `[filesystem]\ntype = "ext4"\nsource = "${src}"\n`);
    const img = tmp.join('b.img');
    expect((await cli('build', spec, '-o', img, '--xattrs', 'user')).code).toBe(0);
    expect(xattrNames(img)).toEqual(['user.a']);
    const blocks = async (...flags: string[]) => {
      const out = tmp.join(`z${flags.join('')}.img`);
      expect((await cli('ext-build', src, '-o', out, '--block-size', '1024', ...flags)).code).toBe(0);
      expect(e2fsckNoise(out)).toEqual([]);
      return Number(/Blockcount: (\d+)/.exec(mustRun('debugfs', ['-R', 'stat /zeros', out]))?.[1]);
    };
    // 128 KiB of zeros: no blocks as holes, 256 sectors (plus an indirect block) kept.
    expect(await blocks()).toBe(0);
    expect(await blocks('--no-sparse')).toBeGreaterThanOrEqual(256);
  });

  it('a bad --features or --journal-size says which and why; mke2fs -O syntax (+, -, ^) works', async () => {
    const out = tmp.join('bad-flags.img');
    const run = (...flags: string[]) => cli('ext-build', src, '-o', out, '--size', '64M', ...flags);
    const unknown = await run('--kind', 'ext4', '--features', '+bogus');
    expect([unknown.code, unknown.err.trim()]).toEqual([2, 'fstool: --features names an unknown feature "bogus"']);
    const small = await run('--kind', 'ext4', '--block-size', '1024', '--journal-size', '1k');
    expect(small.code).toBe(2);
    expect(small.err).toMatch(/journal size 1 KiB is 1 block of 1024 bytes: a journal takes 1024 to 10240000 blocks/);
    const none = await run('--journal-size', '4M');
    expect([none.code, none.err]).toEqual([
      2,
      expect.stringMatching(/journal size was given, but this filesystem has no journal/),
    ]);
    // -t as mke2fs spells --kind.
    const mixed = await run('-t', 'ext4', '--features', '+metadata_csum,-huge_file,^dir_nlink', '--journal-size', '4M');
    expect(mixed.code, mixed.err).toBe(0);
    expect(e2fsckNoise(out)).toEqual([]);
    const header = mustRun('dumpe2fs', ['-h', out]);
    const on = header.match(/features:\s+(.*)/)?.[1]?.split(' ') ?? [];
    expect([on.includes('metadata_csum'), on.includes('huge_file'), on.includes('dir_nlink')]).toEqual([
      true,
      false,
      false,
    ]);
    expect(header).toMatch(/Total journal size:\s+4096k/);
  });

  it('the --features example that --help shows builds, e2fsck-silent', async () => {
    const help = await cli('ext-build', '--help');
    const example = /--features <list>\s+features to add\/remove, e\.g\. (\S+)/.exec(help.out)?.[1];
    expect(example).toBeDefined();
    const img = tmp.join('features.img');
    const r = await cli('ext-build', src, '-o', img, '--kind', 'ext4', '--features', example as string);
    expect(r.code, r.err).toBe(0);
    expect(e2fsckNoise(img)).toEqual([]);
    for (const f of (example as string).split(',')) {
      const on =
        mustRun('dumpe2fs', ['-h', img])
          .match(/features:\s+(.*)/)?.[1]
          ?.split(' ') ?? [];
      expect(on.includes(f.slice(1)), f).toBe(f.startsWith('+'));
    }
  });
});
