import { extname } from 'node:path';
import type { BlockDevice } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import { Qcow2Device } from '@fstool/qcow2';

export type OutputFormat = 'raw' | 'qcow2';

/** qcow2 when asked, or when the name ends in .qcow2/.qcow/.q2 (as the original fstool did); raw otherwise. */
export function outputFormat(path: string, asked?: OutputFormat): OutputFormat {
  if (asked) return asked;
  return ['.qcow2', '.qcow', '.q2'].includes(extname(path).toLowerCase()) ? 'qcow2' : 'raw';
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
