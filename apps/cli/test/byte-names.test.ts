import { mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { decodeName, escapeName } from '@fstool/fs';
import { haveTools, mustRun, runTool, tempDir, withLoopMount } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

// Names are bytes: a tree with Latin-1 names (as from an old archive or a Samba share), made into
// ext4 by mke2fs -d, must list, read, remove and repack by its bytes, judged by the kernel's view.
const tmp = tempDir('fstool-byte-names-');
afterAll(() => tmp.cleanup());

const raw = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => Buffer.from(p as string)));
const src = tmp.join('src');
mkdirSync(src);
writeFileSync(raw(`${src}/caf`, [0xe9]), 'latin-1\n');
writeFileSync(raw(`${src}/caf`, [0xc3, 0xa9]), 'utf-8\n');
writeFileSync(raw(`${src}/back\\slash`), 'bs\n');
writeFileSync(raw(`${src}/new\nline`), 'nl\n');
mkdirSync(raw(`${src}/d`, [0xfc], 'r'));
writeFileSync(raw(`${src}/d`, [0xfc], 'r/', [0xff, 0xfe]), 'deep\n');
symlinkSync(raw('caf', [0xe9]), raw(`${src}/to-`, [0xe9]));
// Enough entries that e2fsck -D gives the directory an htree: lookups then hash the raw bytes.
mkdirSync(raw(`${src}/big`));
for (let i = 0; i < 400; i++) writeFileSync(raw(`${src}/big/n`, [0xe0 + (i % 16)], `${i}`), `${i}\n`);

/** Every path below `dir` as the kernel returns it (readdir with buffer names), escaped for display. */
function kernelView(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: Buffer, rel: string) => {
    for (const d of readdirSync(abs, { withFileTypes: true, encoding: 'buffer' })) {
      const name = decodeName(d.name as unknown as Buffer);
      const path = `${rel}/${name}`;
      out.push(path);
      if (d.isDirectory()) walk(Buffer.concat([abs, Buffer.from('/'), d.name as unknown as Buffer]), path);
    }
  };
  walk(Buffer.from(dir), '');
  return out.filter((p) => !p.startsWith('/lost+found')).sort();
}

/** Every path in the image as `fstool ls -R --json` reports it, decoded from the exact bytes. */
async function fstoolView(img: string): Promise<string[]> {
  const r = await cli('ls', '-R', '--json', img);
  expect(r.code, r.err).toBe(0);
  const entries = JSON.parse(r.out) as Array<{ path: string; pathBytes?: string }>;
  return entries
    .map((e) => (e.pathBytes ? decodeName(Buffer.from(e.pathBytes, 'base64')) : e.path))
    .filter((p) => !p.startsWith('/lost+found'))
    .sort();
}

function makeImage(name: string): string {
  const img = tmp.join(name);
  mustRun('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '1024', '-d', src, img, '8M']);
  // Index the big directory (e2fsck -D exits 1: "file system was modified").
  expect(runTool('e2fsck', ['-fyD', img]).code).toBeLessThanOrEqual(1);
  return img;
}

function expectClean(img: string) {
  const r = runTool('e2fsck', ['-fn', img]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

describe.skipIf(!haveTools('mke2fs', 'e2fsck', 'debugfs', 'mount', 'mkfs.fat', 'fsck.fat'))(
  'ext names that are not UTF-8',
  () => {
    it('lists the same bytes as the kernel, distinct names print distinctly, JSON carries the bytes', async () => {
      const img = makeImage('list.img');
      expect(mustRun('debugfs', ['-R', 'htree_dump /big', img])).toMatch(/Root node dump/);
      const kernel = await withLoopMount(img, (mnt) => kernelView(mnt));
      expect(await fstoolView(img)).toEqual(kernel ?? (await fstoolView(img)));
      expect(kernel).toContain('/caf\udce9');

      const ls = await cli('ls', img);
      expect(ls.code, ls.err).toBe(0);
      const lines = ls.out.split('\n').filter(Boolean);
      expect(lines).toEqual(
        expect.arrayContaining(['caf\\xe9', 'café', 'back\\\\slash', 'new\\nline', 'd\\xfcr', 'to-\\xe9', 'big']),
      );
      expect(new Set(lines).size).toBe(lines.length);

      const rec = await cli('ls', '-R', '-l', img);
      expect(rec.code, rec.err).toBe(0);
      expect(rec.out).toContain('\n/d\\xfcr:\n');
      expect(rec.out).toContain('\\xff\\xfe');
      expect(rec.out).toMatch(/to-\\xe9 -> caf\\xe9\n/);

      const json = JSON.parse((await cli('ls', '--json', img)).out) as Array<Record<string, string>>;
      const link = json.find((e) => e.path === '/to-\\xe9');
      expect(link).toMatchObject({
        pathBytes: raw('/to-', [0xe9]).toString('base64'),
        target: 'caf\\xe9',
        targetBytes: raw('caf', [0xe9]).toString('base64'),
      });
      expect(json.find((e) => e.path === '/café')).not.toHaveProperty('pathBytes');
    });

    it('cats and stats by the escaped name, through the htree too', async () => {
      const img = makeImage('read.img');
      expect((await cli('cat', img, '/caf\\xe9')).bytes.toString()).toBe('latin-1\n');
      expect((await cli('cat', img, '/caf\\351')).bytes.toString()).toBe('latin-1\n'); // ls -b's octal form
      expect((await cli('cat', img, '/café')).bytes.toString()).toBe('utf-8\n');
      expect((await cli('cat', img, '/back\\\\slash')).bytes.toString()).toBe('bs\n');
      expect((await cli('cat', img, '/d\\xfcr/\\xff\\xfe')).bytes.toString()).toBe('deep\n');
      for (const i of [0, 17, 399]) {
        const r = await cli('cat', img, `/big/n\\x${(0xe0 + (i % 16)).toString(16)}${i}`);
        expect(r.bytes.toString(), r.err).toBe(`${i}\n`);
      }
      const st = await cli('stat', img, '/to-\\xe9');
      expect(st.out).toMatch(/^path: +\/to-\\xe9$/m);
      const missing = await cli('cat', img, '/caf\\xe8');
      expect(missing.code).toBe(2);
      expect(missing.err).toContain('/caf\\xe8: no such file');
      expect((await cli('cat', img, '/bad\\q')).err).toMatch(/unknown escape "\\q"/);
    });

    it('removes, rm -r and adds by bytes; e2fsck is clean and the kernel agrees', async () => {
      const img = makeImage('edit.img');
      expect((await cli('rm', img, '/caf\\xe9')).code).toBe(0);
      const rr = await cli('rm', '-r', img, '/d\\xfcr');
      expect(rr.code, rr.err).toBe(0);
      expect((await cli('rm', img, '/big/n\\xe5' + '5')).code).toBe(0);
      const host = tmp.join('host-file');
      writeFileSync(host, 'added\n');
      const add = await cli('add', img, host, '/n\\xe4me');
      expect(add.code, add.err).toBe(0);
      expect((await cli('mkdir', img, '/\\xc0dir')).code).toBe(0);
      // Into the htree directory: the new entry is hashed over its raw bytes (e2fsck checks the order).
      for (const b of ['e0', 'f1', 'ff']) expect((await cli('add', img, host, `/big/new\\x${b}`)).code).toBe(0);
      expectClean(img);

      const kernel = await withLoopMount(img, (mnt) => {
        expect(readFileSync(raw(`${mnt}/n`, [0xe4], 'me')).toString()).toBe('added\n');
        expect(readlinkSync(raw(`${mnt}/to-`, [0xe9]), { encoding: 'buffer' })).toEqual(raw('caf', [0xe9]));
        return kernelView(mnt);
      });
      const ours = await fstoolView(img);
      if (kernel) expect(ours).toEqual(kernel);
      expect(ours).not.toContain('/caf\udce9');
      expect(ours).toContain('/café');
      expect(ours).toContain('/n\udce4me');
      expect(ours).toContain('/\udcc0dir');
      expect(ours.some((p) => p.startsWith('/d\udcfcr'))).toBe(false);
      expect(ours.map(escapeName)).not.toContain('/big/n\\xe55');
      expect(ours).toContain('/big/new\udcff');
      expect((await cli('cat', img, '/big/new\\xf1')).bytes.toString()).toBe('added\n');
      // A host path argument takes the same escapes: the Latin-1 host file lands under its own bytes.
      const copied = await cli('add', img, `${src}/caf\\xe9`, '/big');
      expect(copied.code, copied.err).toBe(0);
      expect((await cli('cat', img, '/big/caf\\xe9')).bytes.toString()).toBe('latin-1\n');
      expectClean(img);
    });

    it('ext-build from a host tree keeps the byte names', async () => {
      const out = tmp.join('built.img');
      const r = await cli('ext-build', src, '-o', out, '--kind', 'ext4', '--size', '16MiB');
      expect(r.code, r.err).toBe(0);
      expectClean(out);
      const built = await withLoopMount(out, (mnt) => kernelView(mnt));
      const wanted = kernelView(src);
      if (built) expect(built).toEqual(wanted);
      expect(await fstoolView(out)).toEqual(wanted);
    });

    it('refuses a byte name on FAT (UTF-16 text) with a clear error', async () => {
      const fat = tmp.join('fat.img');
      mustRun('mkfs.fat', ['-C', fat, '8192']);
      const host = tmp.join('for-fat');
      writeFileSync(host, 'x\n');
      const r = await cli('add', fat, host, '/caf\\xe9');
      expect(r.code).toBe(2);
      expect(r.err).toContain('"/caf\\xe9": FAT names are text: byte \\xe9 is not UTF-8');
      expect((await cli('add', fat, host, '/café')).code).toBe(0);
      expect(runTool('fsck.fat', ['-n', fat]).code).toBe(0);
    });

    it('repacks byte names unchanged', async () => {
      const img = makeImage('repack-src.img');
      const out = tmp.join('repacked.img');
      const r = await cli('repack', img, out);
      expect(r.code, r.err).toBe(0);
      expectClean(out);
      const before = await withLoopMount(img, (mnt) => kernelView(mnt));
      const after = await withLoopMount(out, (mnt) => kernelView(mnt));
      expect(after).toEqual(before);
      expect(await fstoolView(out)).toEqual(await fstoolView(img));
      expect((await cli('cat', out, '/caf\\xe9')).bytes.toString()).toBe('latin-1\n');
    });
  },
);
