/** Recognising a qcow2 image and reading its header without opening it for I/O. */
import type { BlockDevice } from '@fstool/blockdev';
import { decodeHeader, hasQcow2Magic, MAX_CLUSTER_BITS, type Qcow2Header } from './format/header.js';
import type { Qcow2Info } from './info.js';

/** Reads the header cluster: the whole first cluster, or the whole file when smaller. */
export async function readHeader(container: BlockDevice): Promise<{ header: Qcow2Header; cluster0: Uint8Array }> {
  const buf = new Uint8Array(Math.min(container.size, 2 ** MAX_CLUSTER_BITS));
  await container.read(0, buf);
  const header = decodeHeader(buf, container.size);
  return { header, cluster0: buf.slice(0, Math.min(buf.length, 2 ** header.clusterBits)) };
}

/** True when the device starts with the qcow2 magic ('QFI\xfb'). */
export async function isQcow2(dev: BlockDevice): Promise<boolean> {
  if (dev.size < 4) return false;
  const head = new Uint8Array(4);
  await dev.read(0, head);
  return hasQcow2Magic(head);
}

/** The header summary of an image without opening it for I/O (works for dirty or read-only-only images too). */
export async function readQcow2Info(container: BlockDevice): Promise<Qcow2Info> {
  const { header } = await readHeader(container);
  // The summary's code loads only for a qcow2 image: telling raw from qcow2 needs the magic alone.
  return (await import('./info.js')).describeHeader(header, container);
}
