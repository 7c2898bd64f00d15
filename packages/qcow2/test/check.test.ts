import { FileDevice } from '@fstool/blockdev/node';
import { haveTools, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { NeedsRepairError, Qcow2UnsupportedError } from '../src/errors.js';
import { entryOffset, refcountCodec, reftableOffset } from '../src/format/tables.js';
import { checkQcow2File, openQcow2File, qcow2FileInfo } from '../src/node.js';
import { readHeader } from '../src/probe.js';
import { expectQemuCheckClean } from './helpers.js';

/** Edits bytes of a file in place. */
async function patch(path: string, offset: number, bytes: Uint8Array) {
  const f = await FileDevice.open(path, { writable: true });
  await f.write(offset, bytes);
  await f.close();
}

/** Host offsets of an image's first L2 table and refcount block. */
async function layout(path: string) {
  const f = await FileDevice.open(path);
  const { header } = await readHeader(f);
  const l1 = new Uint8Array(8);
  await f.read(header.l1TableOffset, l1);
  const rt = new Uint8Array(8);
  await f.read(header.refcountTableOffset, rt);
  await f.close();
  return { header, l2: entryOffset(l1, 0), block0: reftableOffset(rt, 0) };
}

describe.skipIf(!haveTools('qemu-img', 'qemu-io'))('check() agrees with qemu-img check, and repair fixes', () => {
  const tmp = tempDir('qcow2-check-');
  afterAll(() => tmp.cleanup());

  function image(name: string, opts: string[] = []): string {
    const path = tmp.join(name);
    mustRun('qemu-img', ['create', '-f', 'qcow2', ...opts, path, '16M']);
    mustRun('qemu-io', ['-c', 'write -P 0x61 0 256k', '-c', 'write -P 0x62 1M 64k', path]);
    return path;
  }

  it('reports a clean QEMU image as clean', async () => {
    const path = image('clean.qcow2');
    const r = await checkQcow2File(path);
    const qemu = JSON.parse(mustRun('qemu-img', ['check', '--output=json', path]));
    expect(r).toMatchObject({ ok: true, corruptions: 0, leaks: 0, imageEnd: qemu['image-end-offset'] });
  });

  it('finds a leaked cluster like qemu-img, and repair removes it', async () => {
    const path = image('leak.qcow2');
    const { l2 } = await layout(path);
    await patch(path, l2, new Uint8Array(8)); // unmap virtual cluster 0: its data cluster leaks
    const qemu = runTool('qemu-img', ['check', '--output=json', path]);
    expect(qemu.code).toBe(3); // 3 = leaks only
    const r = await checkQcow2File(path);
    expect(r).toMatchObject({ ok: false, corruptions: 0, leaks: JSON.parse(qemu.stdout).leaks });
    expect(r.problems[0]?.kind).toBe('leak');
    const fixed = await checkQcow2File(path, { repair: true });
    expect(fixed).toMatchObject({ ok: true, repaired: 1, leaks: 0 });
    expectQemuCheckClean(path);
  });

  it('finds a refcount that is too low, and repair restores it', async () => {
    const path = image('low.qcow2');
    const { block0, l2, header } = await layout(path);
    const cs = 2 ** header.clusterBits;
    const block = new Uint8Array(cs);
    const f = await FileDevice.open(path);
    await f.read(block0, block);
    await f.close();
    refcountCodec(header.refcountOrder).set(block, l2 / cs, 0); // the L2 table's own refcount
    await patch(path, block0, block);
    const qemu = runTool('qemu-img', ['check', '--output=json', path]);
    expect(qemu.code).toBe(2); // 2 = corruptions
    const r = await checkQcow2File(path);
    // The refcount, and the L1 entry's COPIED flag that no longer matches it: qemu counts both.
    expect(r).toMatchObject({ ok: false, corruptions: JSON.parse(qemu.stdout).corruptions });
    expect(r.problems.map((p) => p.kind)).toEqual(['refcount', 'copied']);
    expect((await checkQcow2File(path, { repair: true })).ok).toBe(true);
    expectQemuCheckClean(path);
  });

  it('reports overlapping metadata and offsets past the end of the file', async () => {
    const overlap = image('overlap.qcow2');
    const { header } = await layout(overlap);
    const l1 = new Uint8Array(8);
    new DataView(l1.buffer).setUint32(4, header.refcountTableOffset); // L1[0] -> the refcount table
    await patch(overlap, header.l1TableOffset, l1);
    const r1 = await checkQcow2File(overlap);
    expect(r1.ok).toBe(false);
    expect(r1.problems.map((p) => p.kind)).toContain('overlap');

    const past = image('past.qcow2');
    const { l2 } = await layout(past);
    const entry = new Uint8Array(8);
    new DataView(entry.buffer).setUint32(0, 0x8000000f); // L2[0] -> 60 GiB, far past the end
    await patch(past, l2, entry);
    const r2 = await checkQcow2File(past);
    expect(r2.problems.map((p) => p.kind)).toContain('out-of-file');
    expect(runTool('qemu-img', ['check', past]).code).not.toBe(0);
  });

  it('finds wrong COPIED flags like qemu-img, and repair fixes them', async () => {
    const path = image('copied.qcow2');
    const { l2, header } = await layout(path);
    const f = await FileDevice.open(path, { writable: true });
    const l1 = new Uint8Array(8);
    await f.read(header.l1TableOffset, l1);
    l1[0] = (l1[0] as number) & 0x7f; // clear COPIED on L1[0]
    await f.write(header.l1TableOffset, l1);
    const e = new Uint8Array(8);
    await f.read(l2 + 8, e);
    e[0] = (e[0] as number) & 0x7f; // and on L2[1]
    await f.write(l2 + 8, e);
    await f.close();
    const qemu = JSON.parse(runTool('qemu-img', ['check', '--output=json', path]).stdout);
    const r = await checkQcow2File(path);
    expect(r.corruptions).toBe(qemu.corruptions);
    expect(r.problems.map((p) => p.kind)).toEqual(['copied', 'copied']);
    expect(await checkQcow2File(path, { repair: true })).toMatchObject({ ok: true, repaired: 2 });
    expectQemuCheckClean(path);
  });

  it('a dirty image opened for writing gets its refcounts rebuilt first, as QEMU does', async () => {
    const path = image('dirty.qcow2');
    await patch(path, 79, new Uint8Array([1])); // incompatible_features bit 0
    const ro = await openQcow2File(path); // reading changes nothing
    await ro.close();
    expect((await qcow2FileInfo(path)).dirty).toBe(true);
    const rw = await openQcow2File(path, { writable: true });
    await rw.write(0, new Uint8Array(512).fill(7));
    await rw.close();
    expect((await qcow2FileInfo(path)).dirty).toBe(false);
    expectQemuCheckClean(path);
  });

  it('refuses writes to an image marked corrupt, with advice that works', async () => {
    const path = image('corrupt.qcow2');
    await patch(path, 79, new Uint8Array([2])); // incompatible_features bit 1
    await expect(openQcow2File(path, { writable: true })).rejects.toThrow(NeedsRepairError);
    await expect(openQcow2File(path, { writable: true })).rejects.toThrow(/qemu-img check -r all/);
    mustRun('qemu-img', ['check', '-q', '-r', 'all', path]);
    const rw = await openQcow2File(path, { writable: true });
    await rw.close();
  });

  it('edits lazy_refcounts images, closed cleanly or left dirty by a crashed QEMU', async () => {
    const path = image('lazy.qcow2', ['-o', 'lazy_refcounts=on']);
    expect((await qcow2FileInfo(path)).features.compatible).toEqual(['lazy refcounts']);
    const rw = await openQcow2File(path, { writable: true });
    await rw.write(2 ** 20, new Uint8Array(4096).fill(9));
    await rw.write(5 * 2 ** 20, new Uint8Array(70_000).fill(8));
    await rw.close();
    expectQemuCheckClean(path);
    expect((await qcow2FileInfo(path)).features.compatible).toEqual(['lazy refcounts']);
    mustRun('qemu-io', ['-c', 'read -P 9 1M 4k', '-c', 'read -P 8 5M 70000', path]);

    // qemu-io's abort leaves the dirty bit and stale refcounts of new clusters behind.
    runTool('qemu-io', ['-c', 'write -P 0x33 8M 256k', '-c', 'abort', path]);
    expect((await qcow2FileInfo(path)).dirty).toBe(true);
    const again = await openQcow2File(path, { writable: true });
    await again.write(12 * 2 ** 20, new Uint8Array(4096).fill(4));
    await again.close();
    expectQemuCheckClean(path);
    mustRun('qemu-io', ['-c', 'read -P 0x33 8M 256k', '-c', 'read -P 4 12M 4k', path]);
  });

  it('refuses unknown incompatible feature bits, naming them', async () => {
    const path = image('unknown.qcow2');
    await patch(path, 76, new Uint8Array([0x80, 0, 0, 0x20])); // bits 31 and 5
    await expect(openQcow2File(path)).rejects.toThrow(Qcow2UnsupportedError);
    await expect(openQcow2File(path)).rejects.toThrow(/bits 5, 31/);
  });

  it('counts internal snapshots and persistent bitmaps like qemu-img; snapshots block writing', async () => {
    const path = image('snap.qcow2');
    mustRun('qemu-img', ['snapshot', '-c', 'one', path]);
    mustRun('qemu-io', ['-c', 'write -P 0x71 64k 128k', '-c', 'write -P 0x72 3M 64k', path]);
    mustRun('qemu-img', ['snapshot', '-c', 'two', path]);
    mustRun('qemu-io', ['-c', 'write -P 0x73 0 4k', path]);
    mustRun('qemu-img', ['bitmap', '--add', path, 'b0']);
    mustRun('qemu-io', ['-c', 'write -P 0x74 5M 64k', path]);
    expectQemuCheckClean(path);
    expect(await checkQcow2File(path)).toMatchObject({ ok: true, corruptions: 0, leaks: 0 });
    expect((await qcow2FileInfo(path)).snapshots).toBe(2);
    await expect(openQcow2File(path, { writable: true })).rejects.toThrow(/snapshots/);
    const q = await openQcow2File(path);
    const got = new Uint8Array(4096);
    await q.read(0, got);
    expect(got.every((b) => b === 0x73)).toBe(true);
    await q.close();
  });

  it('info() matches qemu-img info', async () => {
    const path = image('info.qcow2', ['-o', 'cluster_size=4096,refcount_bits=8']);
    const ours = await qcow2FileInfo(path);
    const theirs = JSON.parse(mustRun('qemu-img', ['info', '--output=json', path]));
    expect(ours).toMatchObject({
      format: 'qcow2',
      version: 3,
      virtualSize: theirs['virtual-size'],
      clusterSize: theirs['cluster-size'],
      refcountBits: theirs['format-specific'].data['refcount-bits'],
      compressionType: 'deflate',
      dirty: false,
      corrupt: false,
      features: { incompatible: [], compatible: [], autoclear: [] },
    });
    const check = JSON.parse(runTool('qemu-img', ['check', '--output=json', path]).stdout);
    expect(ours.allocatedBytes).toBeGreaterThanOrEqual(check['allocated-clusters'] * 4096);
    expect(JSON.parse(JSON.stringify(ours))).toEqual(ours);
  });
});
