import { type BlockDevice, FsError, SliceDevice } from '@fstool/blockdev';
import type { FileSystem, FsInfo } from '@fstool/fs';
import { type PartitionTableInfo, readPartitionTable } from '@fstool/gpt/detect';
import type { PartitionInfo } from '@fstool/mbr';
import type { AnyDriver, DriverRegistry } from './registry.js';

/** A partition number that the disk does not have, or a suffix on a bare filesystem. */
export class NoSuchPartitionError extends FsError {
  constructor(message: string) {
    super('NO_SUCH_PARTITION', message);
  }
}

/** No registered driver recognises the bytes. */
export class UnknownFilesystemError extends FsError {
  constructor(where: string, known: string[]) {
    super('UNKNOWN_FILESYSTEM', `${where}: no known filesystem found (tried: ${known.join(', ')})`);
  }
}

/** One partition (or the whole device for a bare filesystem) with the driver that recognised it. */
export interface Volume {
  /** 0 for a bare filesystem, else the partition number. */
  index: number;
  partition?: PartitionInfo;
  device: BlockDevice;
  driver?: AnyDriver;
}

/**
 * A disk opened for inspection or editing: the partition table (if any) and a volume per
 * partition. Works on any BlockDevice, so in a browser too.
 */
export class Disk {
  private constructor(
    readonly device: BlockDevice,
    readonly table: PartitionTableInfo,
    readonly volumes: Volume[],
    readonly registry: DriverRegistry,
  ) {}

  /** `sectorSize`: the MBR's logical sector size when known (a block device's); else it is probed. */
  static async open(device: BlockDevice, registry: DriverRegistry, opts: { sectorSize?: number } = {}): Promise<Disk> {
    const table = await readPartitionTable(device, opts);
    const volumes: Volume[] = [];
    if (table.kind === 'none') {
      volumes.push(await probeVolume(registry, { index: 0, device }));
    } else {
      for (const p of table.partitions) {
        if (p.kind === 'extended') continue;
        if (p.truncated) {
          // Cut off by the end of the image: what is left of it is not probed (a driver would read past the end).
          const start = Math.min(p.start, device.size);
          volumes.push({ index: p.index, partition: p, device: new SliceDevice(device, start, device.size - start) });
          continue;
        }
        const slice = new SliceDevice(device, p.start, p.size);
        volumes.push(await probeVolume(registry, { index: p.index, partition: p, device: slice }));
      }
    }
    return new Disk(device, table, volumes, registry);
  }

  /** The volume for `IMG:N` (or the bare filesystem when `index` is undefined). */
  volume(index: number | undefined): Volume {
    if (index === undefined) {
      if (this.table.kind === 'none') return this.volumes[0] as Volume;
      const withFs = this.volumes.filter((v) => v.driver);
      if (withFs.length === 1) return withFs[0] as Volume;
      const list = this.volumes.map((v) => v.index).join(', ');
      throw new NoSuchPartitionError(
        `the disk has a ${this.table.kind.toUpperCase()} partition table: choose a partition with IMG:N (partitions: ${list || 'none'})`,
      );
    }
    if (this.table.kind === 'none') {
      throw new NoSuchPartitionError(`the image holds a bare filesystem, not a partitioned disk: drop ":${index}"`);
    }
    const v = this.volumes.find((x) => x.index === index);
    if (!v) {
      const list = this.volumes.map((x) => x.index).join(', ');
      throw new NoSuchPartitionError(`partition ${index} does not exist (partitions: ${list || 'none'})`);
    }
    return v;
  }

  /** Opens the filesystem of a volume through the driver that recognised it. */
  async openFilesystem(index: number | undefined, opts: { writable: boolean }): Promise<FileSystem> {
    const v = this.volume(index);
    if (v.partition?.truncated) {
      // Only a truncated partition has the table code loaded; a bare filesystem never does.
      throw new (await import('@fstool/mbr')).TruncatedPartitionError(v.partition, this.device.size);
    }
    if (!v.driver) {
      const where = v.index === 0 ? 'the image' : `partition ${v.index}`;
      throw new UnknownFilesystemError(where, this.registry.types());
    }
    return v.driver.open(v.device, opts);
  }

  /** The table and, per volume, its filesystem summary (type, label, sizes). */
  async describe(): Promise<DiskInfo> {
    const volumes: VolumeInfo[] = [];
    for (const v of this.volumes) {
      const out: VolumeInfo = { index: v.index, ...(v.partition ? { partition: v.partition } : {}) };
      if (v.driver) {
        try {
          const fs = await v.driver.open(v.device, { writable: false });
          try {
            out.filesystem = await fs.info();
          } finally {
            await fs.close();
          }
        } catch (err) {
          out.error = err instanceof Error ? err.message : String(err);
        }
      }
      volumes.push(out);
    }
    return {
      size: this.device.size,
      table: this.table.kind,
      sectorSize: this.table.sectorSize,
      ...(this.table.id ? { id: this.table.id } : {}),
      warnings: this.table.warnings.map((w) => `${w.structure}: ${w.message}`),
      volumes,
    };
  }
}

export interface VolumeInfo {
  index: number;
  partition?: PartitionInfo;
  filesystem?: FsInfo;
  /** Why the filesystem could not be read, when a driver recognised it but failed. */
  error?: string;
}

export interface DiskInfo {
  size: number;
  table: PartitionTableInfo['kind'];
  sectorSize: number;
  /** GPT disk GUID or MBR disk signature. */
  id?: string;
  warnings: string[];
  volumes: VolumeInfo[];
}

async function probeVolume(registry: DriverRegistry, v: Volume): Promise<Volume> {
  const driver = await registry.probe(v.device);
  return driver ? { ...v, driver } : v;
}
