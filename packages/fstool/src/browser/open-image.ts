import type { BlockDevice } from '@fstool/blockdev';
import { isQcow2, Qcow2Device, type Qcow2Info, readQcow2Info } from '@fstool/qcow2';
import { Disk } from '../disk.js';
import type { DriverRegistry } from '../registry.js';

/** An image opened through the whole stack from any BlockDevice (a dropped File, an OPFS file). */
export interface OpenedImage {
  format: 'raw' | 'qcow2';
  qcow2?: Qcow2Info;
  disk: Disk;
  /** Closes the disk and `container`. */
  close(): Promise<void>;
}

/** Detects qcow2 (else raw) in `container`, then reads the partition table and probes each volume. */
export async function openImage(
  container: BlockDevice,
  registry: DriverRegistry,
  opts: { writable?: boolean } = {},
): Promise<OpenedImage> {
  const qcow2 = (await isQcow2(container)) ? await readQcow2Info(container) : undefined;
  const device = qcow2 ? await Qcow2Device.open(container, { writable: opts.writable ?? false }) : container;
  try {
    const disk = await Disk.open(device, registry);
    return {
      format: qcow2 ? 'qcow2' : 'raw',
      ...(qcow2 ? { qcow2 } : {}),
      disk,
      close: () => device.close(),
    };
  } catch (err) {
    await device.close();
    throw err;
  }
}
