import { readFileSync } from 'node:fs';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { createQcow2File } from '../src/node.js';

describe.skipIf(!haveTools('qemu-img'))('headers are byte-identical to qemu-img create', () => {
  const tmp = tempDir('qcow2-header-');
  afterAll(() => tmp.cleanup());

  // qemu-img leaves the feature name table out of images with small clusters; we always write it,
  // so there only the fixed header fields are compared.
  const cases: Array<[string, string[], Parameters<typeof createQcow2File>[1], number]> = [
    ['v3 default', [], { virtualSize: 2 ** 30 }, 65536],
    [
      'v3 4 KiB clusters, 8-bit refcounts',
      ['-o', 'cluster_size=4096,refcount_bits=8'],
      { virtualSize: 3 * 2 ** 30, clusterSize: 4096, refcountOrder: 3 },
      112,
    ],
    ['v2', ['-o', 'compat=0.10'], { virtualSize: 10 * 2 ** 30, version: 2 }, 65536],
  ];
  for (const [name, qemuOpts, ours, headerBytes] of cases) {
    it(name, async () => {
      const theirs = tmp.join(`${name}-qemu.qcow2`.replace(/\W+/g, '_'));
      const mine = tmp.join(`${name}-ours.qcow2`.replace(/\W+/g, '_'));
      mustRun('qemu-img', ['create', '-f', 'qcow2', ...qemuOpts, theirs, String(ours?.virtualSize)]);
      await (await createQcow2File(mine, ours)).close();
      // The header cluster (header, feature name table, end marker) and the layout behind it.
      const a = new Uint8Array(readFileSync(theirs));
      const b = new Uint8Array(readFileSync(mine));
      const cs = ours?.clusterSize ?? 65536;
      const hex = (x: Uint8Array) => Buffer.from(x.subarray(0, headerBytes)).toString('hex');
      expect(hex(b)).toBe(hex(a));
      expect(Buffer.compare(b.subarray(cs, 3 * cs), a.subarray(cs, 3 * cs))).toBe(0); // refcount table and block
    });
  }
});
