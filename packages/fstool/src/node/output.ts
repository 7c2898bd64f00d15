import { extname } from 'node:path';
import { type BlockDevice, InvalidArgumentError } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import { Qcow2Device } from '@fstool/qcow2';
import { formatFromPath, type ImageFormat } from '@fstool/qcow2/node';
import { isBlockDevicePath } from './target.js';

export type OutputFormat = ImageFormat;

/** Extensions that name the formats fstool writes; any other (`.vmdk`, `.vdi`, `.iso`) asks for `--format`. */
const KNOWN_EXTENSIONS = new Set(
  '.qcow2 .qcow .q2 .img .raw .bin .dd .disk .ext2 .ext3 .ext4 .fat .fat12 .fat16 .fat32 .vfat'.split(' '),
);

/**
 * The format asked for, else the one the name implies (.qcow2/.qcow/.q2 → qcow2; .img, .raw, a
 * filesystem's name or none → raw). An extension of another image format would silently get a raw
 * image under a misleading name, so it is refused unless the format is given.
 */
export function outputFormat(path: string, asked?: OutputFormat): OutputFormat {
  if (asked) return asked;
  const ext = extname(path).toLowerCase();
  if (ext !== '' && !KNOWN_EXTENSIONS.has(ext) && !isBlockDevicePath(path)) {
    throw new InvalidArgumentError(
      `${path}: fstool writes raw or qcow2, not "${ext}"; name it .img or .qcow2, or pass --format raw|qcow2`,
    );
  }
  return formatFromPath(path);
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
