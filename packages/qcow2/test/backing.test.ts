import { writeFileSync } from 'node:fs';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { BackingFileError } from '../src/index.js';
import { createQcow2File, openQcow2File, qcow2FileInfo } from '../src/node.js';
import { expectQemuCheckClean, fileBytes, pattern } from './helpers.js';

const MiB = 2 ** 20;

describe.skipIf(!haveTools('qemu-img'))('backing files', () => {
  const tmp = tempDir('qcow2-backing-');
  afterAll(() => tmp.cleanup());

  it('an overlay we create reads through to its backing file, and QEMU agrees', async () => {
    const base = pattern(3 * MiB, 51);
    writeFileSync(tmp.join('base.raw'), base);
    const q = await createQcow2File(tmp.join('overlay.qcow2'), { backingFile: 'base.raw', backingFormat: 'raw' });
    expect(q.size).toBe(base.length);
    const got = new Uint8Array(base.length);
    await q.read(0, got);
    expect(Buffer.compare(got, base)).toBe(0);
    const mine = pattern(10_000, 52);
    await q.write(MiB + 3, mine);
    await q.zero(2 * MiB, 65536); // must hide the backing data (v3 zero flag)
    await q.close();
    const want = base.slice();
    want.set(mine, MiB + 3);
    want.fill(0, 2 * MiB, 2 * MiB + 65536);
    expectQemuCheckClean(tmp.join('overlay.qcow2'));
    mustRun('qemu-img', ['convert', '-O', 'raw', tmp.join('overlay.qcow2'), tmp.join('overlay.raw')]);
    expect(Buffer.compare(fileBytes(tmp.join('overlay.raw')), want)).toBe(0);
    const info = await qcow2FileInfo(tmp.join('overlay.qcow2'));
    expect(info).toMatchObject({ backingFile: 'base.raw', backingFormat: 'raw' });
  });

  it('a v2 overlay zeroes over backing data by writing zeros', async () => {
    writeFileSync(tmp.join('b2.raw'), pattern(MiB, 53));
    const q = await createQcow2File(tmp.join('v2.qcow2'), { backingFile: 'b2.raw', version: 2 });
    await q.zero(65536, 65536);
    await q.close();
    expectQemuCheckClean(tmp.join('v2.qcow2'));
    mustRun('qemu-img', ['convert', '-O', 'raw', tmp.join('v2.qcow2'), tmp.join('v2.raw')]);
    const want = pattern(MiB, 53).fill(0, 65536, 131072);
    expect(Buffer.compare(fileBytes(tmp.join('v2.raw')), want)).toBe(0);
  });

  it('a missing backing file is a clear error', async () => {
    mustRun('qemu-img', [
      'create',
      '-f',
      'qcow2',
      '-u',
      '-b',
      'gone.qcow2',
      '-F',
      'qcow2',
      tmp.join('orphan.qcow2'),
      '1M',
    ]);
    const err = await openQcow2File(tmp.join('orphan.qcow2')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackingFileError);
    expect((err as Error).message).toMatch(/gone\.qcow2.*does not exist/);
  });

  it('a backing chain that loops is a clear error', async () => {
    mustRun('qemu-img', ['create', '-f', 'qcow2', tmp.join('a.qcow2'), '1M']);
    mustRun('qemu-img', ['create', '-f', 'qcow2', '-b', 'a.qcow2', '-F', 'qcow2', tmp.join('b.qcow2')]);
    mustRun('qemu-img', ['rebase', '-u', '-b', 'b.qcow2', '-F', 'qcow2', tmp.join('a.qcow2')]);
    const err = await openQcow2File(tmp.join('b.qcow2')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackingFileError);
    expect((err as Error).message).toMatch(/loops/);
  });
});
