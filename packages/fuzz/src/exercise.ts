import { type BlockDevice, FsError, MemoryDevice } from '@fstool/blockdev';
import { extDriver, openExt } from '@fstool/ext';
import { fatDriver } from '@fstool/fat';
import { bytesSource, type Entry, type FileSystem, type FileSystemDriver } from '@fstool/fs';
import { detectPartitionTable, readGpt, readPartitionTable } from '@fstool/gpt';
import { decodeMbr, readMbr } from '@fstool/mbr';
import { check, isQcow2, Qcow2Device, readQcow2Info } from '@fstool/qcow2';
import { createRegistry, Disk } from 'fstool';

export type Reader = 'mbr' | 'gpt' | 'qcow2' | 'ext' | 'fat';
export const READERS: readonly Reader[] = ['mbr', 'gpt', 'qcow2', 'ext', 'fat'];

/** What one case may touch: the harness's own bounds, so a legitimate huge sparse file is not a hang. */
const WALK_ENTRIES = 2000;
const WALK_DEPTH = 64;
const registry = createRegistry();

/** How far cases got: counted across a run, to show the fuzzer reaches past the headers. */
export interface Reach {
  opened: number;
  entries: number;
  filesRead: number;
  edits: number;
  /** FsErrors that ended one step (the case went on with the next). */
  stepErrors: number;
}

export const newReach = (): Reach => ({ opened: 0, entries: 0, filesRead: 0, edits: 0, stepErrors: 0 });

export interface ExerciseInput {
  reach?: Reach;
  /** The (mutated) image, writable: edits land in the case's private copy. */
  dev: BlockDevice;
  /** qcow2 overlays: a read-only backing image. */
  backing?: Uint8Array;
}

/**
 * Everything a user can do to an image, in the order `fstool` does it: detect, open, info, list
 * recursively, read every file, then (writable formats) one add and one remove.
 */
export async function exercise(reader: Reader, input: ExerciseInput): Promise<void> {
  const reach = input.reach ?? newReach();
  current = reach;
  switch (reader) {
    case 'mbr':
    case 'gpt':
      return exerciseTable(input.dev, reach);
    case 'qcow2':
      return exerciseQcow2(input, reach);
    case 'ext':
      return exerciseFs('ext', input.dev, reach);
    case 'fat':
      return exerciseFs('fat', input.dev, reach);
  }
}

async function exerciseTable(dev: BlockDevice, reach: Reach): Promise<void> {
  const head = new Uint8Array(512);
  await dev.read(0, head);
  await attempt(async () => decodeMbr(head));
  await attempt(() => readMbr(dev));
  await attempt(() => readGpt(dev));
  await detectPartitionTable(dev);
  await attempt(() => readPartitionTable(dev));
  await exerciseDisk(dev, reach);
}

/** Through the facade: table, a volume per partition, each filesystem opened, walked and edited. */
async function exerciseDisk(dev: BlockDevice, reach: Reach): Promise<void> {
  const disk = await Disk.open(dev, registry);
  await disk.describe();
  for (const v of disk.volumes) {
    if (!v.driver) continue;
    await attempt(async () => {
      const fs = await disk.openFilesystem(disk.table.kind === 'none' ? undefined : v.index, { writable: false });
      reach.opened++;
      try {
        await walk(fs, '/', { left: WALK_ENTRIES }, 0, dev.size, reach);
      } finally {
        await fs.close();
      }
    });
  }
}

async function exerciseQcow2(input: ExerciseInput, reach: Reach): Promise<void> {
  const { dev, backing } = input;
  // The backing image is the seed's own, never mutated: the fuzzed bytes are the overlay's.
  const openBacking = async (): Promise<BlockDevice> => {
    const base = new MemoryDevice(backing ?? new Uint8Array(0), { readOnly: true });
    return (await isQcow2(base)) ? Qcow2Device.open(base) : base;
  };
  await attempt(() => readQcow2Info(dev));
  await attempt(() => check(dev));
  await attempt(async () => {
    const q = await Qcow2Device.open(dev, { openBacking });
    reach.opened++;
    try {
      await q.info();
      const chunk = new Uint8Array(64 * 1024);
      const end = Math.min(q.size, 4 * 2 ** 20);
      for (let at = 0; at < end; at += chunk.length) {
        await q.read(at, chunk.subarray(0, Math.min(chunk.length, end - at)));
        reach.filesRead++;
      }
      await exerciseDisk(q, reach);
    } finally {
      await q.close();
    }
  });
  const q = await Qcow2Device.open(dev, { writable: true, openBacking });
  try {
    const data = new Uint8Array(5000).fill(0xa5);
    for (const at of [0, Math.floor(q.size / 2), q.size - data.length]) {
      if (at >= 0) await q.write(at, data);
    }
    await q.flush();
    reach.edits++;
  } finally {
    await q.close();
  }
  await check(dev);
}

/**
 * Opens a filesystem; `deep` asks the driver to read past damage it would normally refuse (ext's
 * `ignoreChecksums`), so mutations behind a checksum reach the code behind it.
 */
type Opener = (dev: BlockDevice, writable: boolean, deep: boolean) => Promise<FileSystem>;

const openers: Record<'ext' | 'fat', Opener> = {
  ext: (dev, writable, deep) => openExt(dev, { writable, ...(deep ? { ignoreChecksums: true } : {}) }),
  fat: (dev, writable) => (fatDriver as unknown as FileSystemDriver).open(dev, { writable }),
};

async function exerciseFs(kind: 'ext' | 'fat', dev: BlockDevice, reach: Reach): Promise<void> {
  const driver = (kind === 'ext' ? extDriver : fatDriver) as unknown as FileSystemDriver;
  if (!(await driver.probe(dev))) return;
  const open = openers[kind];
  let victim: string | undefined;
  for (const deep of kind === 'ext' ? [false, true] : [false]) {
    await attempt(async () => {
      const fs = await open(dev, false, deep);
      reach.opened++;
      try {
        await fs.info();
        victim = await walk(fs, '/', { left: WALK_ENTRIES }, 0, dev.size, reach);
      } finally {
        await fs.close();
      }
    });
  }
  await attempt(() => exerciseDisk(dev, reach));
  const fs = await open(dev, true, true);
  try {
    const content = new Uint8Array(3000).fill(0x5a);
    const entry: Entry = {
      path: '/fuzz-added',
      kind: 'file',
      mode: 0o100644,
      uid: 0,
      gid: 0,
      mtime: 1_700_000_000,
      size: content.length,
      open: () => bytesSource(content),
    };
    if (await attempt(() => fs.add('/fuzz-added', entry).then(() => true))) reach.edits++;
    if (victim && (await attempt(() => fs.remove(victim as string).then(() => true)))) reach.edits++;
  } finally {
    await fs.close();
  }
}

/**
 * Lists recursively and reads every file (at most 4× the device's size each: a legitimately
 * huge sparse file is not a finding). Returns the first regular file seen, to remove later.
 */
async function walk(
  fs: FileSystem,
  dir: string,
  budget: { left: number },
  depth: number,
  deviceSize: number,
  reach: Reach,
): Promise<string | undefined> {
  let first: string | undefined;
  if (depth > WALK_DEPTH) return first;
  for (const e of await fs.list(dir)) {
    if (--budget.left < 0) return first;
    reach.entries++;
    await attempt(() => fs.stat(e.path));
    if (e.kind === 'dir') {
      const inside = await attempt(() => walk(fs, e.path, budget, depth + 1, deviceSize, reach));
      first ??= inside;
    } else if (e.kind === 'file') {
      first ??= e.path;
      await attempt(async () => {
        let n = 0;
        for await (const chunk of fs.read(e.path)) {
          n += chunk.length;
          if (n > 4 * deviceSize) break;
        }
        reach.filesRead++;
      });
    }
  }
  return first;
}

/**
 * Runs one step; an expected failure (FsError) ends only that step so the rest still runs.
 * Anything else propagates: that is what the fuzzer is looking for.
 */
async function attempt<T>(step: () => Promise<T>): Promise<T | undefined> {
  try {
    return await step();
  } catch (err) {
    if (!isExpected(err)) throw err;
    if (current) current.stepErrors++;
    return undefined;
  }
}

/** The reach of the case running now (cases run one at a time). */
let current: Reach | undefined;

export function isExpected(err: unknown): err is FsError {
  return err instanceof FsError;
}
