import type { BlockDevice } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import { Qcow2Device } from '@fstool/qcow2';
import { formatFromPath, type ImageFormat } from '@fstool/qcow2/node';

export type OutputFormat = ImageFormat;

/** The format asked for, else the one the name implies (.qcow2/.qcow/.q2 → qcow2, else raw). */
export function outputFormat(path: string, asked?: OutputFormat): OutputFormat {
  return asked ?? formatFromPath(path);
}

export interface OutputOptions {
  format: OutputFormat;
  clusterSize?: number;
  compress?: boolean;
}

/**
 * A fresh output device of `size` bytes at `path`: a sparse raw file, or a qcow2 image written
 * directly (no raw intermediate). Either way it reads as zeros until written.
 */
export async function createOutput(path: string, size: number, opts: OutputOptions): Promise<BlockDevice> {
  if (opts.format === 'raw') return FileDevice.create(path, { size });
  const file = await FileDevice.create(path, { size: 0, growable: true });
  try {
    return await Qcow2Device.create(file, {
      virtualSize: size,
      ...(opts.clusterSize !== undefined ? { clusterSize: opts.clusterSize } : {}),
      ...(opts.compress ? { compress: true } : {}),
    });
  } catch (err) {
    await file.close();
    throw err;
  }
}
