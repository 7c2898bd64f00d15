import { describe, expect, it } from 'vitest';
import {
  clampTimes,
  collectTree,
  type Entry,
  fixedTime,
  mapIds,
  normalizeTimes,
  reproducible,
  squashOwners,
  squashPermissions,
  treeFromEntries,
} from '../src/index.js';

const base = (): Entry[] => [
  { path: '/', kind: 'dir', mode: 0o755, uid: 1000, gid: 1000, mtime: 100, mtimeNsec: 5, size: 0 },
  {
    path: '/f',
    kind: 'file',
    mode: 0o4755,
    uid: 70000,
    gid: 80000,
    mtime: 2_000_000_000,
    mtimeNsec: 123,
    atime: 2_100_000_000,
    atimeNsec: 9,
    ctime: 1_500,
    ctimeNsec: 7,
    crtime: 3_000_000_000,
    size: 0,
  },
];
const tree = () => treeFromEntries(base());

describe('tree transforms', () => {
  it('squashOwners makes everything root:root, squashPermissions drops group/other bits', async () => {
    const out = await collectTree(squashPermissions(squashOwners(tree())));
    expect(out.map((e) => [e.uid, e.gid, e.mode])).toEqual([
      [0, 0, 0o700],
      [0, 0, 0o4700],
    ]);
  });

  it('mapIds renumbers mapped ids and keeps the rest', async () => {
    const out = await collectTree(mapIds(tree(), { uid: new Map([[70000, 1]]), gid: new Map([[1000, 2]]) }));
    expect(out.map((e) => [e.uid, e.gid])).toEqual([
      [1000, 2],
      [1, 80000],
    ]);
  });

  it('fixedTime sets every time and drops nanoseconds', async () => {
    const [, f] = await collectTree(fixedTime(tree(), 42));
    expect(f).toMatchObject({ mtime: 42, atime: 42, ctime: 42, crtime: 42 });
    expect([f?.mtimeNsec, f?.atimeNsec, f?.ctimeNsec, f?.crtimeNsec]).toEqual([0, 0, 0, 0]);
  });

  it('clampTimes lowers only later times (SOURCE_DATE_EPOCH)', async () => {
    const [root, f] = await collectTree(clampTimes(tree(), 2_000_000_000));
    expect(root).toMatchObject({ mtime: 100, mtimeNsec: 5 });
    // mtime equal to the epoch but with nanoseconds is later: clamped to the whole second.
    expect(f).toMatchObject({ mtime: 2_000_000_000, atime: 2_000_000_000, ctime: 1_500, ctimeNsec: 7, crtime: 2e9 });
    expect([f?.mtimeNsec, f?.atimeNsec]).toEqual([0, 0]);
  });

  it('normalizeTimes derives atime/ctime/crtime from mtime', async () => {
    const [root, f] = await collectTree(normalizeTimes(tree()));
    expect(f).toMatchObject({ atime: 2e9, atimeNsec: 123, ctime: 2e9, ctimeNsec: 123, crtime: 2e9, crtimeNsec: 123 });
    expect(root).toMatchObject({ atime: 100, atimeNsec: 5, ctime: 100 });
    expect(root?.crtime).toBeUndefined();
  });

  it('reproducible: two copies with other ctimes/atimes give the same metadata', async () => {
    const other = base().map((e) => ({ ...e, ctime: 9_999, ctimeNsec: 1, atime: 77 }));
    const strip = (es: Entry[]) => es.map(({ open: _o, ...rest }) => rest);
    const a = strip(await collectTree(reproducible(tree(), { epoch: 1_800_000_000 })));
    const b = strip(await collectTree(reproducible(treeFromEntries(other), { epoch: 1_800_000_000 })));
    expect(a).toEqual(b);
    expect(a[1]).toMatchObject({ mtime: 1_800_000_000, atime: 1_800_000_000, ctime: 1_800_000_000 });
    const fixed = await collectTree(reproducible(tree(), { epoch: 5, fixed: true, squashOwners: true }));
    expect(fixed.map((e) => [e.mtime, e.ctime, e.uid])).toEqual([
      [5, 5, 0],
      [5, 5, 0],
    ]);
    expect(() => reproducible(tree(), { fixed: true })).toThrow(/epoch/);
    expect(() => fixedTime(tree(), 1.5)).toThrow(/whole number/);
  });
});
