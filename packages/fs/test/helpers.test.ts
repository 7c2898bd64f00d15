import { describe, expect, it } from 'vitest';
import {
  basename,
  bytesSource,
  checkName,
  collectTree,
  compareNames,
  comparePaths,
  dirname,
  type Entry,
  formatMode,
  InvalidPathError,
  joinPath,
  kindFromMode,
  normalizePath,
  S_IFBLK,
  S_IFDIR,
  splitPath,
  treeFromEntries,
  typeBits,
} from '../src/index.js';

const file = (path: string): Entry => ({ path, kind: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 0 });
const dir = (path: string): Entry => ({ ...file(path), kind: 'dir', mode: 0o755 });

describe('paths', () => {
  it('normalises slashes, dots and ..', () => {
    expect(normalizePath('')).toBe('/');
    expect(normalizePath('//a///b/')).toBe('/a/b');
    expect(normalizePath('a/./b/../c')).toBe('/a/c');
    expect(normalizePath('/a/b/../../..')).toBe('/');
    // Already normal: returned as given; '.' and '..' components never are.
    for (const p of ['/a', '/a/b', '/.hidden/..x/...', `/${'é'.repeat(85)}`]) expect(normalizePath(p)).toBe(p);
    expect(normalizePath('/a/./b')).toBe('/a/b');
    expect(normalizePath('/a/..')).toBe('/');
    expect(normalizePath('/a/../b/.')).toBe('/b');
    expect([dirname('/a/b'), dirname('/a'), dirname('/'), dirname('a//b/')]).toEqual(['/a', '/', '/', '/a']);
    expect([basename('/a/b'), basename('/a'), basename('/'), basename('a/b/')]).toEqual(['b', 'a', '', 'b']);
  });

  it('never climbs above the root', () => {
    expect(normalizePath('/../../etc/passwd')).toBe('/etc/passwd');
    expect(normalizePath('../x')).toBe('/x');
    expect(joinPath('/a', '../../../b')).toBe('/b');
  });

  it('rejects NUL and names over 255 bytes with InvalidPathError', () => {
    expect(() => normalizePath('/a\0b')).toThrow(InvalidPathError);
    expect(normalizePath(`/${'x'.repeat(255)}`)).toBe(`/${'x'.repeat(255)}`);
    expect(() => normalizePath(`/${'x'.repeat(256)}`)).toThrow(/longer than 255 bytes/);
    // 128 two-byte characters: 128 code units but 256 UTF-8 bytes.
    expect(() => normalizePath(`/${'é'.repeat(128)}`)).toThrow(InvalidPathError);
    expect(() => checkName('é'.repeat(128))).toThrow(/255 bytes/);
    expect(() => checkName('a/b')).toThrow(InvalidPathError);
    expect(() => checkName('..')).toThrow(InvalidPathError);
    expect(() => checkName('')).toThrow(InvalidPathError);
    expect(() => checkName('a\0')).toThrow(InvalidPathError);
    expect(() => checkName('ok')).not.toThrow();
  });

  it('splits and joins', () => {
    expect(splitPath('/')).toEqual([]);
    expect(splitPath('/a/b')).toEqual(['a', 'b']);
    expect(dirname('/a/b')).toBe('/a');
    expect(dirname('/a')).toBe('/');
    expect(dirname('/')).toBe('/');
    expect(basename('/a/b')).toBe('b');
    expect(basename('/')).toBe('');
  });

  it('orders names by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (F0 …) in bytes, after it in UTF-16.
    const a = '\uFF5E';
    const b = '\u{1F600}';
    expect(a > b).toBe(true);
    expect(compareNames(a, b)).toBeLessThan(0);
    expect(compareNames('B', 'a')).toBeLessThan(0);
    expect(compareNames('a', 'ab')).toBeLessThan(0);
    expect(compareNames('x', 'x')).toBe(0);
  });

  it('comparePaths puts a directory before its contents and siblings by name', () => {
    const paths = ['/b', '/a/z', '/a', '/', '/a-b', '/a/b/c', '/a/b'];
    expect(paths.sort(comparePaths)).toEqual(['/', '/a', '/a/b', '/a/b/c', '/a/z', '/a-b', '/b']);
  });
});

describe('modes', () => {
  it('formats like ls -l, with setuid/setgid/sticky', () => {
    expect(formatMode('dir', 0o755)).toBe('drwxr-xr-x');
    expect(formatMode('file', 0o4755)).toBe('-rwsr-xr-x');
    expect(formatMode('file', 0o4644)).toBe('-rwSr--r--');
    expect(formatMode('file', 0o2755)).toBe('-rwxr-sr-x');
    expect(formatMode('dir', 0o1777)).toBe('drwxrwxrwt');
    expect(formatMode('dir', 0o1770)).toBe('drwxrwx--T');
    expect(formatMode('symlink', 0o777)).toBe('lrwxrwxrwx');
    expect(formatMode('char', 0o620)).toBe('crw--w----');
    expect(formatMode('block', 0o660)).toBe('brw-rw----');
    expect(formatMode('fifo', 0o644)).toBe('prw-r--r--');
    expect(formatMode('socket', 0o755)).toBe('srwxr-xr-x');
  });

  it('maps kinds to type bits and back', () => {
    expect(typeBits('dir')).toBe(S_IFDIR);
    expect(kindFromMode(S_IFBLK | 0o600)).toBe('block');
    expect(kindFromMode(0o644)).toBeUndefined();
  });
});

describe('treeFromEntries', () => {
  it('sorts into tree order whatever the input order, adding the root', async () => {
    const list = [file('/b/y'), dir('/b'), file('/a'), file('/b/x'), dir('/b/sub'), file('/b/sub/z')];
    const paths = (await collectTree(treeFromEntries(list.reverse()))).map((e) => e.path);
    expect(paths).toEqual(['/', '/a', '/b', '/b/sub', '/b/sub/z', '/b/x', '/b/y']);
  });

  it('rejects duplicates, orphans and children of files', () => {
    expect(() => treeFromEntries([file('/a'), file('/a/')])).toThrow(/twice/);
    expect(() => treeFromEntries([file('/x/y')])).toThrow(/not in the tree/);
    expect(() => treeFromEntries([file('/x'), file('/x/y')])).toThrow(/not a directory/);
  });

  it('bytesSource reads ranges', async () => {
    const src = bytesSource(new Uint8Array([1, 2, 3, 4]));
    const buf = new Uint8Array(3);
    expect(await src.read(2, buf)).toBe(2);
    expect([...buf.subarray(0, 2)]).toEqual([3, 4]);
    expect(src.readSync?.(9, buf)).toBe(0);
  });
});

describe('orderings match their byte-wise definitions', () => {
  const enc = new TextEncoder();
  const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(enc.encode(a)), Buffer.from(enc.encode(b)));
  const byComponents = (a: string, b: string) => {
    const x = a.split('/');
    const y = b.split('/');
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const d = bytes(x[i]!, y[i]!);
      if (d !== 0) return d;
    }
    return x.length - y.length;
  };
  // A small deterministic generator: every pair of characters that could order differently.
  const alphabet = [
    'a',
    'b',
    'A',
    '-',
    '.',
    '0',
    '~',
    'é',
    '\u07ff',
    '\uE000',
    '\uFF5E',
    '\uFFFD',
    '\u{10000}',
    '\u{1F600}',
  ];
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const name = () => Array.from({ length: 1 + rnd(3) }, () => alphabet[rnd(alphabet.length)]).join('');
  const path = () => `/${Array.from({ length: 1 + rnd(3) }, name).join('/')}`;

  it('compareNames = UTF-8 byte order', () => {
    for (let i = 0; i < 5000; i++) {
      const a = name();
      const b = name();
      expect(Math.sign(compareNames(a, b)), `${a} ${b}`).toBe(Math.sign(bytes(a, b)));
    }
  });

  it('comparePaths = component-wise byte order', () => {
    for (let i = 0; i < 5000; i++) {
      const a = i % 7 === 0 ? '/' : path();
      const b = i % 11 === 0 ? `${a}/${name()}` : path();
      expect(Math.sign(comparePaths(a, b)), `${a} ${b}`).toBe(Math.sign(byComponents(a, b)));
    }
  });
});
