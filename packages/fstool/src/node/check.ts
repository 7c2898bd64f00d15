import type { FileSystem } from '@fstool/fs';
import { TruncatedPartitionError } from '@fstool/mbr';
import { checkQcow2File } from '@fstool/qcow2/node';
import type { DriverRegistry } from '../registry.js';
import { OpenImage, parseImageRef } from './image.js';

export interface VolumeCheck {
  /** 0 for a bare filesystem, else the partition number. */
  index: number;
  type: string;
  /** False when the driver has no check: nothing was looked at. */
  supported: boolean;
  /** What was looked at. */
  checked: string;
  problems: string[];
}

export interface ImageCheck {
  path: string;
  /** qcow2: the refcount check of the container (`qemu-img check`). */
  container?: { format: 'qcow2'; corruptions: number; leaks: number; problems: string[] };
  volumes: VolumeCheck[];
  /** No problem anywhere (leaked qcow2 clusters count: they waste space but lose nothing). */
  clean: boolean;
}

async function checkOne(fs: FileSystem, index: number): Promise<VolumeCheck> {
  if (!fs.check) return { index, type: fs.type, supported: false, checked: 'nothing', problems: [] };
  const r = await fs.check();
  return { index, type: fs.type, supported: true, checked: r.checked, problems: [...fs.warnings, ...r.problems] };
}

/**
 * `fstool check`: the container (qcow2 refcounts), a partition cut off by the end of a truncated
 * image, then each filesystem's own consistency check (IMG:N: that partition's only). Read-only;
 * nothing is repaired.
 */
export async function checkImage(ref: string, registry: DriverRegistry): Promise<ImageCheck> {
  const { path, partition } = parseImageRef(ref);
  const out: ImageCheck = { path, volumes: [], clean: true };
  const image = await OpenImage.open(path, registry);
  try {
    if (image.format === 'qcow2') {
      const q = await checkQcow2File(path);
      out.container = {
        format: 'qcow2',
        corruptions: q.corruptions,
        leaks: q.leaks,
        problems: q.problems.map((p) => p.message),
      };
    }
    // IMG:N: that partition only; else every volume with a filesystem, and every truncated one.
    const volumes = partition !== undefined ? [{ index: partition, filesystem: true }] : (await image.info()).volumes;
    for (const v of volumes) {
      if ('partition' in v && v.partition?.truncated) {
        // Cut off by the end of the image: a problem in itself, its filesystem unreadable.
        const problem = new TruncatedPartitionError(v.partition, image.disk.device.size).message;
        out.volumes.push({
          index: v.index,
          type: 'unknown',
          supported: true,
          checked: 'the partition table',
          problems: [problem],
        });
        continue;
      }
      if (!v.filesystem) continue;
      const fs = await image.openFilesystem(v.index || undefined, { writable: false });
      try {
        out.volumes.push(await checkOne(fs, v.index));
      } finally {
        await fs.close();
      }
    }
  } finally {
    await image.close();
  }
  out.clean = (out.container?.problems.length ?? 0) === 0 && out.volumes.every((v) => v.problems.length === 0);
  return out;
}
