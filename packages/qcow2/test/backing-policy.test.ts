import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { BackingFileError } from '../src/index.js';
import { backingChain, convertFile, MAX_BACKING_DEPTH, openQcow2File } from '../src/node.js';
import { pattern } from './helpers.js';

const KiB = 1024;

describe.skipIf(!haveTools('qemu-img'))('backing file policy', () => {
  const tmp = tempDir('qcow2-policy-');
  afterAll(() => tmp.cleanup());
  // A "downloaded" image in dl/ and a host file it must not reach in secret/.
  mkdirSync(tmp.join('dl'));
  mkdirSync(tmp.join('secret'));
  const secret = pattern(64 * KiB, 77);
  writeFileSync(tmp.join('secret/key'), secret);
  writeFileSync(tmp.join('dl/inside.raw'), pattern(64 * KiB, 78));
  symlinkSync('../secret/key', tmp.join('dl/link'));

  /** A qcow2 in dl/ whose header names `backing` as a raw backing file. */
  const overlay = (name: string, backing: string) => {
    const path = tmp.join(`dl/${name}`);
    mustRun('qemu-img', ['create', '-q', '-f', 'qcow2', '-u', '-b', backing, '-F', 'raw', path, '64K']);
    return path;
  };

  const readAll = async (path: string, opts: Parameters<typeof openQcow2File>[1] = {}) => {
    const q = await openQcow2File(path, opts);
    try {
      const out = new Uint8Array(q.size);
      await q.read(0, out);
      return out;
    } finally {
      await q.close();
    }
  };

  it('refuses backing files outside the image directory: ../, absolute, and via a symlink', async () => {
    for (const [name, backing] of [
      ['up.qcow2', '../secret/key'],
      ['abs.qcow2', tmp.join('secret/key')],
      ['sym.qcow2', 'link'],
    ] as const) {
      const img = overlay(name, backing);
      const err = await openQcow2File(img).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackingFileError);
      expect((err as Error).message).toMatch(/outside the image's directory.*--backing-allow .*secret\/key/);
      const out = tmp.join(`dl/${name}.raw`);
      await expect(convertFile(img, out)).rejects.toThrow(BackingFileError);
    }
  });

  it('follows one inside the image directory, or one the caller allowed (file, directory, any)', async () => {
    expect(Buffer.compare(await readAll(overlay('in.qcow2', 'inside.raw')), pattern(64 * KiB, 78))).toBe(0);
    const img = overlay('allowed.qcow2', '../secret/key');
    for (const backing of [{ allow: [tmp.join('secret/key')] }, { allow: [tmp.join('secret')] }, { any: true }]) {
      expect(Buffer.compare(await readAll(img, { backing }), secret)).toBe(0);
    }
    await expect(readAll(img, { backing: { allow: [tmp.join('dl')] } })).rejects.toThrow(BackingFileError);
  });

  it('--no-backing reads the image alone (zeros where it has no data) and refuses writing', async () => {
    const img = overlay('alone.qcow2', '../secret/key');
    expect(await readAll(img, { backing: { follow: false } })).toEqual(new Uint8Array(64 * KiB));
    await expect(openQcow2File(img, { writable: true, backing: { follow: false } })).rejects.toThrow(
      /writing needs it/,
    );
  });

  it('describes the chain link by link without opening refused files', async () => {
    mustRun('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', 'inside.raw', '-F', 'raw', tmp.join('dl/mid.qcow2')]);
    mustRun('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', 'mid.qcow2', '-F', 'qcow2', tmp.join('dl/top.qcow2')]);
    expect(await backingChain(tmp.join('dl/top.qcow2'))).toEqual([
      { name: 'mid.qcow2', path: tmp.join('dl/mid.qcow2'), format: 'qcow2', status: 'followed' },
      { name: 'inside.raw', path: tmp.join('dl/inside.raw'), format: 'raw', status: 'followed' },
    ]);
    const [refused] = await backingChain(overlay('chain.qcow2', '../secret/key'));
    expect(refused).toMatchObject({ name: '../secret/key', path: tmp.join('secret/key'), status: 'refused' });
    const [ignored] = await backingChain(tmp.join('dl/top.qcow2'), { follow: false });
    expect(ignored).toMatchObject({ name: 'mid.qcow2', status: 'not followed' });
  });

  it(`caps the chain at ${MAX_BACKING_DEPTH} backing files with an error naming the depth`, async () => {
    // One template header, its backing name patched per link: c000 -> c001 -> … -> cNNN.
    mkdirSync(tmp.join('chain'));
    const template = tmp.join('chain/template.qcow2');
    mustRun('qemu-img', ['create', '-q', '-f', 'qcow2', '-u', '-b', 'c999.qcow2', '-F', 'qcow2', template, '64K']);
    const bytes = readFileSync(template);
    const at = bytes.indexOf('c999.qcow2');
    const chain = (depth: number, prefix: string) => {
      const name = (i: number) => `${prefix}${String(i).padStart(3, '0')}.qcow2`;
      for (let i = 0; i < depth; i++) {
        const copy = Buffer.from(bytes);
        copy.write(name(i + 1).slice(-10), at, 'latin1');
        writeFileSync(tmp.join(`chain/${name(i)}`), copy);
      }
      mustRun('qemu-img', ['create', '-q', '-f', 'qcow2', tmp.join(`chain/${name(depth)}`), '64K']);
      return tmp.join(`chain/${name(0)}`);
    };
    expect(await readAll(chain(MAX_BACKING_DEPTH, 'a'))).toEqual(new Uint8Array(64 * KiB));
    const err = await readAll(chain(MAX_BACKING_DEPTH + 1, 'b')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackingFileError);
    expect((err as Error).message).toMatch(new RegExp(`deeper than ${MAX_BACKING_DEPTH} files`));
  });
});
