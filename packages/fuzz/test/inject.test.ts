import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type BlockDevice, FsError, MemoryDevice } from '@fstool/blockdev';
import { extDriver } from '@fstool/ext';
import { fatDriver } from '@fstool/fat';
import { bytesSource, type Entry, type FileSystem } from '@fstool/fs';
import { FailAfterDevice } from '@fstool/fuzz';
import { Qcow2Device } from '@fstool/qcow2';
import {
  e2fsckVerdict,
  fsckVfatVerdict,
  haveTools,
  mustRun,
  qemuImgCheckVerdict,
  tempDir,
  type Verdict,
} from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { hostTree } from './seeds.js';

const tmp = tempDir('fstool-inject-');
afterAll(() => tmp.cleanup());
const src = tmp.join('tree');
mkdirSync(src);
hostTree(src);

const file = (path: string, size: number, fill: number): Entry => {
  const data = new Uint8Array(size).fill(fill);
  return { path, kind: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000, size, open: () => bytesSource(data) };
};

/** The edit of the filesystem tests: a multi-block file added in a subdirectory, a big one removed. */
async function editFs(fs: FileSystem): Promise<void> {
  try {
    await fs.add('/dir/new.bin', file('/dir/new.bin', 40_000, 0x42));
    await fs.remove('/big.bin');
  } finally {
    await fs.close();
  }
}

interface Sweep {
  writes: number;
  bad: Array<{ n: number; verdict: Verdict }>;
  leaks: number[];
}

/**
 * Runs `edit` once to count its writes W, then again for every N in 0..W-1 with a device that
 * fails from write N on, judging each resulting image with the real checker.
 */
async function sweep(
  clean: Uint8Array,
  growable: boolean,
  edit: (dev: BlockDevice) => Promise<void>,
  judge: (bytes: Uint8Array) => Verdict,
): Promise<Sweep> {
  const run = async (budget: number) => {
    const mem = new MemoryDevice(clean.slice(), { growable });
    const dev = new FailAfterDevice(mem, budget);
    try {
      await edit(dev);
    } catch (err) {
      if (!(err instanceof FsError)) throw err;
    }
    return { mem, dev };
  };
  const full = await run(Number.POSITIVE_INFINITY);
  expect(judge(full.mem.bytes()).state).toBe('clean');
  const out: Sweep = { writes: full.dev.writes, bad: [], leaks: [] };
  for (let n = 0; n < full.dev.writes; n++) {
    const { mem } = await run(n);
    const verdict = judge(mem.bytes());
    if (verdict.state === 'damaged') out.bad.push({ n, verdict });
    if (verdict.state === 'leaks') out.leaks.push(n);
  }
  return out;
}

function judgeFile(path: string, check: (path: string) => Verdict) {
  return (bytes: Uint8Array) => {
    writeFileSync(path, bytes);
    return check(path);
  };
}

function summary(s: Sweep): string {
  if (process.env.FSTOOL_FUZZ_VERBOSE) for (const { n, verdict } of s.bad) console.log(`N=${n}\n${verdict.output}`);
  return s.bad.map(({ n, verdict }) => `N=${n}: ${verdict.problems.slice(0, 6).join(' | ')}`).join('\n');
}

/**
 * With a journal the editor commits each operation as a JBD2 transaction, judged after e2fsck has
 * replayed it. Without one it writes in soft-updates order (data, bitmaps, descriptors, inode,
 * directory entry; removal the other way) and, with metadata_csum, moves each changed bitmap to a
 * new block so the descriptor write that points at it commits bitmap and checksum together.
 * "Many groups" spreads the bitmaps over two descriptor blocks (24 groups of 1 MiB) and fills the
 * first 18 so the edit allocates across both: the descriptor blocks must land in the right order.
 */
const EXT_CASES: Array<[string, string[], (img: string) => void]> = [
  ['ext4 with a journal', ['-t', 'ext4', '-b', '1024'], () => undefined],
  ['ext4 without a journal', ['-t', 'ext4', '-b', '1024', '-O', '^has_journal'], () => undefined],
  ['ext2', ['-t', 'ext2', '-b', '1024'], () => undefined],
  [
    'ext4 without a journal, many groups',
    ['-t', 'ext4', '-b', '1024', '-O', '^has_journal', '-g', '1024'],
    (img) => {
      const filler = tmp.join('filler');
      writeFileSync(filler, new Uint8Array(17 * 2 ** 20).fill(7));
      mustRun('debugfs', ['-w', '-R', `write ${filler} filler`, img]);
    },
  ],
];

/**
 * The filesystem sweeps run on the raw image and again inside a qcow2 container (4 KiB clusters,
 * converted by qemu-img, so the edit allocates clusters): cut points then also fall between the
 * qcow2 data, refcount and L2 writes, and the image is judged by `qemu-img check` and by the
 * filesystem checker on qemu-img's raw conversion.
 */
const CONTAINERS = ['raw', 'qcow2'] as const;
type Container = (typeof CONTAINERS)[number];

/** Sweeps `edit` over `img` as it is (raw) or converted to qcow2. */
function sweepIn(
  container: Container,
  img: string,
  open: (dev: BlockDevice) => Promise<FileSystem>,
  check: (path: string) => Verdict,
): Promise<Sweep> {
  if (container === 'raw') {
    return sweep(
      new Uint8Array(readFileSync(img)),
      false,
      async (dev) => editFs(await open(dev)),
      judgeFile(`${img}.check`, check),
    );
  }
  const q = `${img}.qcow2`;
  mustRun('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', '-o', 'cluster_size=4096', img, q]);
  return sweep(
    new Uint8Array(readFileSync(q)),
    true,
    async (dev) => {
      const qcow = await Qcow2Device.open(dev, { writable: true });
      try {
        await editFs(await open(qcow));
      } finally {
        await qcow.close();
      }
    },
    judgeFile(`${q}.check`, (path) => {
      const outer = qemuImgCheckVerdict(path);
      if (outer.state === 'damaged') return outer;
      mustRun('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', path, `${path}.raw`]);
      const inner = check(`${path}.raw`);
      return inner.state === 'clean' ? outer : inner;
    }),
  );
}

describe.skipIf(!haveTools('mke2fs', 'e2fsck', 'debugfs', 'qemu-img'))(
  'ext: an edit cut off after any write leaves at worst leaks',
  () => {
    for (const container of CONTAINERS) {
      // Many groups tests the editor's descriptor order, which the container does not change.
      for (const [name, opts, prepare] of EXT_CASES.filter(([n]) => container === 'raw' || !n.includes('many'))) {
        it(`${name} (${container})`, async () => {
          const img = tmp.join(`ext-${name.replace(/\W+/g, '-')}-${container}.img`);
          const kib = name.includes('many groups') ? '24576' : '4096';
          mustRun('mke2fs', ['-q', '-F', '-E', 'root_owner=0:0', ...opts, '-d', src, img, kib]);
          prepare(img);
          const s = await sweepIn(container, img, (dev) => extDriver.open(dev, { writable: true }), e2fsckVerdict);
          console.log(
            `${name} (${container}): ${s.writes} writes, ${s.leaks.length} cut points leave leaks, ${s.bad.length} leave damage`,
          );
          expect(s.writes).toBeGreaterThan(0);
          expect(summary(s)).toBe('');
        });
      }
    }
  },
);

describe.skipIf(!haveTools('mkfs.fat', 'mcopy', 'fsck.vfat', 'qemu-img'))(
  'FAT: an edit cut off after any write leaves at worst leaks',
  () => {
    for (const container of CONTAINERS) {
      for (const bits of ['12', '16', '32'] as const) {
        it(`FAT${bits} (${container})`, async () => {
          const img = tmp.join(`fat${bits}-${container}.img`);
          const size = { '12': ['2048'], '16': ['-s', '1', '4096'], '32': ['-s', '1', '34000'] }[bits];
          mustRun('mkfs.fat', ['-F', bits, '-i', '12345678', '-C', img, ...size]);
          mustRun('mcopy', ['-s', '-Q', '-i', img, `${src}/big.bin`, `${src}/dir`, `${src}/many`, '::/'], {
            env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
          });
          const s = await sweepIn(container, img, (dev) => fatDriver.open(dev, { writable: true }), fsckVfatVerdict);
          console.log(
            `FAT${bits} (${container}): ${s.writes} writes, ${s.leaks.length} cut points leave leaks, ${s.bad.length} leave damage`,
          );
          expect(s.writes).toBeGreaterThan(0);
          expect(summary(s)).toBe('');
        });
      }
    }
  },
);

describe.skipIf(!haveTools('qemu-img', 'qemu-io'))(
  'qcow2: a write sequence cut off after any write leaves at worst leaks',
  () => {
    it('new clusters, a new L2 table, overwrites, a write across clusters', async () => {
      const img = tmp.join('inject.qcow2');
      mustRun('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096', img, '8M']);
      mustRun('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x11 0 64k', '-c', 'write -P 0x22 1M 8k', img]);
      const s = await sweep(
        new Uint8Array(readFileSync(img)),
        true,
        async (dev) => {
          const q = await Qcow2Device.open(dev, { writable: true });
          try {
            await q.write(4096, new Uint8Array(4096).fill(1));
            await q.write(2 * 2 ** 20, new Uint8Array(12_000).fill(2));
            await q.write(7 * 2 ** 20 + 100, new Uint8Array(200_000).fill(3));
            await q.flush();
            await q.write(5 * 2 ** 20, new Uint8Array(4096).fill(4));
          } finally {
            await q.close();
          }
        },
        judgeFile(tmp.join('check.qcow2'), qemuImgCheckVerdict),
      );
      console.log(
        `qcow2 (flush): ${s.writes} writes, ${s.leaks.length} cut points leave leaks, ${s.bad.length} leave damage`,
      );
      expect(s.writes).toBeGreaterThan(0);
      expect(summary(s)).toBe('');
    });

    it('L2 tables evicted from a small cache mid-sequence', async () => {
      const img = tmp.join('evict.qcow2');
      mustRun('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096', img, '40M']);
      // Every L2 table exists on disk already, so an evicted one is reachable the moment it lands.
      const fill = Array.from({ length: 16 }, (_, i) => ['-c', `write -P 9 ${i * 2}M 4k`]).flat();
      mustRun('qemu-io', ['-f', 'qcow2', ...fill, img]);
      const s = await sweep(
        new Uint8Array(readFileSync(img)),
        true,
        async (dev) => {
          // 4 tables of cache, 16 L2 tables touched: dirty tables are written back on eviction.
          const q = await Qcow2Device.open(dev, { writable: true, l2CacheBytes: 0 });
          try {
            for (let i = 0; i < 16; i++) await q.write(i * 2 * 2 ** 20 + 4096, new Uint8Array(4096).fill(i + 1));
          } finally {
            await q.close();
          }
        },
        judgeFile(tmp.join('evict-check.qcow2'), qemuImgCheckVerdict),
      );
      console.log(
        `qcow2 (eviction): ${s.writes} writes, ${s.leaks.length} cut points leave leaks, ${s.bad.length} leave damage`,
      );
      expect(s.writes).toBeGreaterThan(16);
      expect(summary(s)).toBe('');
    });
  },
);
