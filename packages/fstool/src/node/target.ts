import { statSync } from 'node:fs';
import { constants, type FileHandle, open } from 'node:fs/promises';
import { type BlockDevice, FsError } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';

/** An output that names a block device and may not (or cannot) be written. */
export class TargetError extends FsError {
  constructor(message: string, options?: ErrorOptions) {
    super('TARGET', message, options);
  }
}

/** True when `path` exists and is a block device (`/dev/sdX`, `/dev/loopN`). */
export function isBlockDevicePath(path: string): boolean {
  try {
    return statSync(path).isBlockDevice();
  } catch {
    return false;
  }
}

/**
 * A block device opened as an output. It holds an O_EXCL handle for as long as it is open: on
 * Linux that claims the device, so a mounted (or otherwise claimed) device is refused with EBUSY
 * and nobody can mount it while we write. I/O goes through a plain FileDevice on the same node.
 */
class BlockTarget implements BlockDevice {
  constructor(
    private readonly dev: FileDevice,
    private readonly claim: FileHandle,
  ) {}

  get size(): number {
    return this.dev.size;
  }
  get readOnly(): boolean {
    return false;
  }
  read(offset: number, into: Uint8Array): Promise<void> {
    return this.dev.read(offset, into);
  }
  write(offset: number, data: Uint8Array): Promise<void> {
    return this.dev.write(offset, data);
  }
  zero(offset: number, length: number): Promise<void> {
    return this.dev.zero(offset, length);
  }
  flush(): Promise<void> {
    return this.dev.flush();
  }
  async close(): Promise<void> {
    try {
      await this.dev.close();
    } finally {
      await this.claim.close();
    }
  }
}

/**
 * Opens the block device at `path` for writing a whole image onto it: only with `force` (its
 * contents are lost), exclusively (a mounted or in-use device is refused), raw only. Its size is
 * the device's capacity; it does not read as zeros, so drivers must write their zero blocks.
 */
export async function openBlockTarget(
  path: string,
  opts: { force?: boolean; format?: 'raw' | 'qcow2' } = {},
): Promise<BlockDevice> {
  if (!opts.force) {
    throw new TargetError(`${path} is a block device: everything on it would be lost; pass --force to write to it`);
  }
  if (opts.format === 'qcow2') {
    throw new TargetError(`${path} is a block device: only raw images can be written to it (drop --format qcow2)`);
  }
  let claim: FileHandle;
  try {
    claim = await open(path, constants.O_RDWR | constants.O_EXCL);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EBUSY' ? 'it is mounted or in use' : (err as Error).message;
    throw new TargetError(`cannot open ${path} exclusively: ${why}`, { cause: err });
  }
  try {
    return new BlockTarget(await FileDevice.open(path, { writable: true }), claim);
  } catch (err) {
    await claim.close();
    throw err;
  }
}
