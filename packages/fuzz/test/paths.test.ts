import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { FsError } from '@fstool/blockdev';
import { run } from '@fstool/cli';
import { checkName, InvalidPathError, NAME_MAX, normalizePath } from '@fstool/fs';
import { Rng } from '@fstool/fuzz';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';

const tmp = tempDir('fstool-paths-');
afterAll(() => tmp.cleanup());

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const chunks: Uint8Array[] = [];
  const code = await run(argv, {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    data: async (c) => {
      chunks.push(c.slice());
    },
  });
  return { code, out, err, bytes: Buffer.concat(chunks) };
}

/** Reference resolution: '..' at the root stays at the root. */
function resolve(path: string): string {
  const parts: string[] = [];
  for (const p of path.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '' && p !== '.') parts.push(p);
  }
  return `/${parts.join('/')}`;
}

describe('normalizePath never leaves the root', () => {
  it('random mixes of .., ., empty and names resolve inside /', () => {
    const rng = new Rng(7);
    const parts = ['..', '.', '', 'a', 'b', '...', '..a', 'a..', ' ', '\\..'];
    for (let i = 0; i < 5000; i++) {
      const path = Array.from({ length: rng.range(0, 12) }, () => rng.pick(parts)).join('/');
      const p = rng.chance(0.5) ? `/${path}` : path;
      const n = normalizePath(p);
      expect(n).toBe(resolve(p));
      expect(n.startsWith('/')).toBe(true);
      expect(n.split('/')).not.toContain('..');
    }
  });

  it('rejects names over 255 bytes (counted in UTF-8), NUL, and / inside a name', () => {
    expect(NAME_MAX).toBe(255);
    expect(normalizePath(`/${'a'.repeat(255)}`)).toBe(`/${'a'.repeat(255)}`);
    expect(() => normalizePath(`/${'a'.repeat(256)}`)).toThrow(InvalidPathError);
    expect(() => normalizePath(`/${'é'.repeat(128)}`)).toThrow(InvalidPathError);
    expect(() => normalizePath('/a\0b')).toThrow(InvalidPathError);
    for (const bad of ['a/b', 'a\0', '', '.', '..', 'x'.repeat(256)]) {
      expect(() => checkName(bad)).toThrow(InvalidPathError);
    }
    expect(new InvalidPathError('x', 'y')).toBeInstanceOf(FsError);
  });
});

describe.skipIf(!haveTools('mke2fs'))('the CLI keeps edits inside the filesystem', () => {
  const img = tmp.join('paths.ext4');
  const host = tmp.join('host.txt');
  writeFileSync(host, 'inside\n');
  mustRun('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '1024', img, '4096']);

  it('fstool add IMG host ../../etc/x lands in /etc/x of the image', async () => {
    expect((await cli('mkdir', img, '../../../etc')).code).toBe(0);
    const add = await cli('add', img, host, '../../etc/x');
    expect(add.code, add.err).toBe(0);
    const ls = await cli('ls', img, '/etc');
    expect(ls.out).toMatch(/\bx\b/);
    expect((await cli('cat', img, '/../etc/./x')).bytes.toString()).toBe('inside\n');
    expect((await cli('ls', img, '/')).out).not.toMatch(/\.\./);
  });

  it('a name over 255 bytes is a usage error naming the problem, not a crash', async () => {
    const r = await cli('add', img, host, `/${'n'.repeat(256)}`);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/longer than 255 bytes/);
  });

  it('rm .. resolves to the root, which is refused', async () => {
    const r = await cli('rm', img, '../..');
    expect(r.code).toBe(2);
  });

  it('a host tree with symlink loops and a FIFO is copied as links and a node, never followed', async () => {
    const dir = tmp.join('loops');
    mkdirSync(dir);
    symlinkSync('b', `${dir}/a`);
    symlinkSync('a', `${dir}/b`);
    symlinkSync('.', `${dir}/self`);
    symlinkSync('../../../../../../etc/passwd', `${dir}/escape`);
    mustRun('mkfifo', [`${dir}/fifo`]);
    const r = await cli('add', img, dir, '/loops');
    expect(r.code, r.err).toBe(0);
    const ls = await cli('ls', '-l', img, '/loops');
    expect(ls.code, ls.err).toBe(0);
    expect(ls.out).toMatch(/self -> \./);
    expect(ls.out).toMatch(/escape -> \.\.\/\.\.\//);
    expect(ls.out).toMatch(/^p/m);
  });
});
