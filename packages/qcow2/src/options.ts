import type { BlockDevice } from '@fstool/blockdev';

/**
 * Raw-deflates whole clusters, many at a time (e.g. on worker threads); the result for each may be
 * any size: one that does not shrink the cluster is stored uncompressed.
 */
export type Deflater = (clusters: Uint8Array[]) => Promise<Uint8Array[]>;

export interface CacheOptions {
  /** Bytes of L2 tables kept in memory (default 4 MiB; at least 4 tables). */
  l2CacheBytes?: number;
  /** Bytes of refcount blocks kept in memory (default 1 MiB; at least 4 blocks). */
  refcountCacheBytes?: number;
}

export interface CreateOptions extends CacheOptions {
  /** Size of the virtual disk in bytes. */
  virtualSize: number;
  /** 512 B … 2 MiB, a power of two (default 64 KiB). */
  clusterSize?: number;
  /** 3 (default) or 2 (QEMU's `compat=0.10`). */
  version?: 2 | 3;
  /** log2 of the refcount width in bits, 0..6 (default 4: 16-bit); version 2 allows only 4. */
  refcountOrder?: number;
  /** Name of the backing file recorded in the header (relative names resolve against the image's directory). */
  backingFile?: string;
  /** Backing file format recorded in the header extension ('qcow2', 'raw'). */
  backingFormat?: string;
  /** The opened backing image: unallocated clusters read from it. */
  backing?: BlockDevice;
  /** Compressed-write mode: whole-cluster writes into unallocated clusters are deflated. */
  compress?: boolean;
  /** What deflates in compressed-write mode (default: in this thread, through fflate). */
  deflater?: Deflater;
  /**
   * Keep allocation metadata in memory until `flush()` (default true here: a new image is only
   * worth keeping once complete, and builders write it to a temporary file renamed at the end).
   */
  writeBack?: boolean;
}

export interface OpenOptions extends CacheOptions {
  writable?: boolean;
  /** Opens the backing file named in the header (the node helpers resolve it next to the image). */
  openBacking?: (name: string, format: string | undefined) => Promise<BlockDevice>;
  /** Do not open the backing file: unallocated clusters read as zeros (read-only opens only). */
  ignoreBacking?: boolean;
  compress?: boolean;
  /**
   * Keep allocation metadata in memory until `flush()` (default false: each write that maps new
   * clusters returns once data, refcounts and L2/L1 entries are written in that order, so an
   * editor's write order survives a crash).
   */
  writeBack?: boolean;
}

export const DEFAULT_CLUSTER_SIZE = 64 * 1024;
export const DEFAULT_L2_CACHE = 4 * 1024 * 1024;
export const DEFAULT_REFCOUNT_CACHE = 1024 * 1024;
