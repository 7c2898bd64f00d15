/** Compressed clusters: raw deflate (compression type 0) through fflate, which runs everywhere. */
import { CorruptError } from '@fstool/blockdev';
import { deflateSync, inflateSync } from 'fflate';
import { Qcow2UnsupportedError } from './errors.js';
import { CompressionType, compressionName } from './format/header.js';
import type { Deflater } from './options.js';

function requireDeflate(type: number): void {
  if (type !== CompressionType.deflate) {
    throw new Qcow2UnsupportedError(
      `qcow2 compression type ${compressionName(type)} is not supported (only deflate); ` +
        'convert the image with qemu-img convert -o compression_type=zlib',
    );
  }
}

/** Inflates one compressed cluster into `out` (exactly one cluster). */
export function inflateCluster(type: number, data: Uint8Array, out: Uint8Array, where: string): void {
  requireDeflate(type);
  let n: number;
  try {
    n = inflateSync(data, { out }).length;
  } catch (err) {
    throw new CorruptError(`${where}: compressed cluster does not inflate (${(err as Error).message})`, { cause: err });
  }
  // A short stream means the rest of the cluster is zeros (QEMU never writes one, but accept it).
  if (n < out.length) out.fill(0, n);
}

/**
 * Deflates whole clusters through `deflater` (default: fflate in this thread); undefined for each
 * one compression does not make smaller than a cluster.
 */
export async function deflateClusters(
  type: number,
  clusters: Uint8Array[],
  deflater?: Deflater,
): Promise<Array<Uint8Array | undefined>> {
  requireDeflate(type);
  const packed = deflater ? await deflater(clusters) : clusters.map((c) => deflateSync(c, { level: 6 }));
  return packed.map((p, i) => (p.length < (clusters[i] as Uint8Array).length ? p : undefined));
}
