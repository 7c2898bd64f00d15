import { type BlockDevice, isResizable } from '@fstool/blockdev';

/**
 * Reads `into.length` bytes at `offset`, with bytes past the end of the container reading as zeros
 * (as QEMU does: the last table or compressed cluster of an image may end short of a cluster).
 */
export async function readPadded(dev: BlockDevice, offset: number, into: Uint8Array): Promise<void> {
  const avail = Math.max(0, Math.min(into.length, dev.size - offset));
  if (avail > 0) await dev.read(offset, into.subarray(0, avail));
  into.fill(0, avail);
}

type VectorDevice = BlockDevice & { writev(offset: number, buffers: Uint8Array[]): Promise<void> };

/** Writes consecutive buffers at `offset`: one vectored write where the container supports it. */
export async function writeAll(dev: BlockDevice, offset: number, buffers: Uint8Array[]): Promise<void> {
  if (buffers.length === 1 && buffers[0]) return dev.write(offset, buffers[0]);
  const v = dev as Partial<VectorDevice>;
  if (typeof v.writev === 'function') return (dev as VectorDevice).writev(offset, buffers);
  let at = offset;
  for (const b of buffers) {
    await dev.write(at, b);
    at += b.length;
  }
}

/** Grows the container to `size` bytes so every allocated cluster lies inside the file. */
export async function extendTo(dev: BlockDevice, size: number): Promise<void> {
  if (dev.size >= size) return;
  if (isResizable(dev)) await dev.resize(size);
  else await dev.write(size - 1, new Uint8Array(1));
}
