import type { FileSystem } from '@fstool/fs';
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
 * `fstool check`: the container (qcow2 refcounts), then each filesystem's own consistency check
 * (IMG:N: that partition's only). Read-only; nothing is repaired.
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
    const indexes =
      partition !== undefined
        ? [partition]
        : (await image.info()).volumes.filter((v) => v.filesystem).map((v) => v.index);
    for (const index of indexes) {
      const fs = await image.openFilesystem(index || undefined, { writable: false });
      try {
        out.volumes.push(await checkOne(fs, index));
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
