import { existsSync } from 'node:fs';
import type { BlockDevice } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import type { FileSystem } from '@fstool/fs';
import type { Qcow2Info } from '@fstool/qcow2';
import type { BackingLink, BackingPolicy } from '@fstool/qcow2/node';
import type { Disk, DiskInfo } from '../disk.js';
import type { DriverRegistry } from '../registry.js';
import { ImageLock } from './lock.js';
import { assertNotMounted } from './mounted.js';
import { blockDeviceSectorSize } from './sector-size.js';

/** `disk.img:2` → partition 2 of disk.img. A path that exists as written wins (names may contain ':'). */
export function parseImageRef(ref: string): { path: string; partition?: number } {
  const m = /^(.*):(\d+)$/.exec(ref);
  if (!m || existsSync(ref)) return { path: ref };
  return { path: m[1] as string, partition: Number(m[2]) };
}

/** The container of an image: its format, the qcow2 header summary and backing chain. */
export interface ContainerInfo {
  path: string;
  format: 'raw' | 'qcow2';
  qcow2?: Qcow2Info;
  /** Each backing file in order, with whether the policy lets it be followed. */
  backingChain?: BackingLink[];
}

export interface ImageInfo extends DiskInfo, ContainerInfo {}

/** Describes the container without opening the disk inside: shown even when a backing file is refused. */
export async function describeContainer(path: string, backing?: BackingPolicy): Promise<ContainerInfo> {
  const [probe, { isQcow2, readQcow2Info }] = await Promise.all([FileDevice.open(path), import('@fstool/qcow2/probe')]);
  let qcow2: Qcow2Info | undefined;
  try {
    if (await isQcow2(probe)) qcow2 = await readQcow2Info(probe);
  } finally {
    await probe.close();
  }
  if (!qcow2) return { path, format: 'raw' };
  const chain =
    qcow2.backingFile !== undefined
      ? { backingChain: await (await import('@fstool/qcow2/node')).backingChain(path, backing) }
      : {};
  return { path, format: 'qcow2', qcow2, ...chain };
}

export interface OpenImageOptions {
  writable?: boolean;
  /** When another process holds the image: wait for it instead of failing at once. */
  wait?: boolean;
  /** Told once when waiting for another process starts. */
  onWait?: (message: string) => void;
  /** Which qcow2 backing files may be followed (default: only inside the image's directory tree). */
  backing?: BackingPolicy;
  /**
   * Logical sector size of an MBR (512…4096, `--sector-size`); by default a block device's own is
   * used and an image file's is probed (4Kn disks count MBR sectors of 4096 bytes).
   */
  sectorSize?: number;
}

/** An image file opened through the whole stack: container format, partition table, filesystems. */
export class OpenImage {
  private constructor(
    readonly container: ContainerInfo,
    readonly disk: Disk,
    private readonly lock: ImageLock,
  ) {}

  get path(): string {
    return this.container.path;
  }

  get format(): 'raw' | 'qcow2' {
    return this.container.format;
  }

  get qcow2(): Qcow2Info | undefined {
    return this.container.qcow2;
  }

  /**
   * Opens `path`, holding a lock on the file until close: exclusive when writable (a second
   * writer or reader fails at once unless `wait`), shared otherwise. A mounted image is refused
   * for writing. qcow2 backing files are followed within `opts.backing`.
   */
  static async open(path: string, registry: DriverRegistry, opts: OpenImageOptions = {}): Promise<OpenImage> {
    const writable = opts.writable ?? false;
    // What reads the image (container probe, partition tables) loads while flock(1) takes the
    // lock: start-up work that overlaps the spawn without touching the image before it is locked.
    const loading = Promise.all([import('../disk.js'), import('@fstool/qcow2/probe')]);
    loading.catch(() => {}); // awaited below; a failed lock must not leave it unhandled
    const lock = await ImageLock.take(path, writable ? 'exclusive' : 'shared', opts);
    try {
      const [{ Disk }] = await loading;
      if (writable) assertNotMounted(path);
      const container = await describeContainer(path, opts.backing);
      const device: BlockDevice =
        container.format === 'qcow2'
          ? await (await import('@fstool/qcow2/node')).openQcow2File(path, {
              writable,
              ...(opts.backing ? { backing: opts.backing } : {}),
            })
          : await FileDevice.open(path, { writable });
      try {
        const sectorSize = opts.sectorSize ?? blockDeviceSectorSize(path);
        const disk = await Disk.open(device, registry, sectorSize !== undefined ? { sectorSize } : {});
        return new OpenImage(container, disk, lock);
      } catch (err) {
        await device.close();
        throw err;
      }
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** Opens the filesystem of partition `index` (undefined: the bare filesystem or the only one). */
  openFilesystem(index: number | undefined, opts: { writable: boolean }): Promise<FileSystem> {
    return this.disk.openFilesystem(index, opts);
  }

  async info(): Promise<ImageInfo> {
    return { ...this.container, ...(await this.disk.describe()) };
  }

  async close(): Promise<void> {
    try {
      await this.disk.device.close();
    } finally {
      await this.lock.release();
    }
  }
}

/**
 * Runs `fn` with the filesystem named by `ref` (`IMG` or `IMG:N`) and closes everything after,
 * flushing edits. The filesystem is closed before the image so its last writes land.
 */
export async function withFilesystem<T>(
  ref: string,
  registry: DriverRegistry,
  opts: OpenImageOptions & { writable: boolean },
  fn: (fs: FileSystem) => Promise<T>,
): Promise<T> {
  const { path, partition } = parseImageRef(ref);
  const image = await OpenImage.open(path, registry, opts);
  try {
    const fs = await image.openFilesystem(partition, { writable: opts.writable });
    let result: T;
    try {
      result = await fn(fs);
    } finally {
      await fs.close();
    }
    return result;
  } finally {
    await image.close();
  }
}
