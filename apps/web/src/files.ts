import type { ContentSource, Entry, SourceTree } from '@fstool/fs';
import { comparePaths, treeFromEntries } from '@fstool/fs';

/** A dropped file with its path inside the dropped folder ('etc/hosts'). */
export interface DroppedFile {
  path: string;
  file: File;
}

type SyncReader = { readAsArrayBuffer(b: Blob): ArrayBuffer };
const Reader = (globalThis as { FileReaderSync?: new () => SyncReader }).FileReaderSync;
/** In a worker, Blobs read synchronously (FileReaderSync): much cheaper per call than a promise. */
const reader = Reader ? new Reader() : undefined;

async function bytesOf(blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.arrayBuffer());
}

/** Contents of a File read slice by slice (large files). */
function fileSource(file: Blob): ContentSource {
  const readSync = reader
    ? (offset: number, into: Uint8Array) => {
        const part = new Uint8Array(reader.readAsArrayBuffer(file.slice(offset, offset + into.length)));
        into.set(part);
        return part.length;
      }
    : undefined;
  return {
    ...(readSync ? { readSync } : {}),
    async read(offset, into) {
      const part = await bytesOf(file.slice(offset, offset + into.length));
      into.set(part);
      return part.length;
    },
    async close() {},
  };
}

const SMALL = 256 * 1024;
const BATCH_FILES = 256;
const BATCH_BYTES = 4 * 2 ** 20;

/**
 * Small files read in batches: every read of a Blob costs a round trip to the browser process
 * (about 4 ms per file in a worker here), so the files of a batch (in tree order, the order a
 * build reads them) are read at once as one composed Blob, and the next batch is read ahead while
 * the build works through the current one. At most two batches are held; reading out of order
 * only costs a re-read.
 */
function batchedSources(files: Array<{ path: string; file: File }>): Map<File, ContentSource> {
  const small = files.filter((f) => f.file.size <= SMALL).sort((a, b) => comparePaths(a.path, b.path));
  const batches: File[][] = [];
  const where = new Map<File, { batch: number; offset: number }>();
  let bytes = 0;
  for (const { file } of small) {
    const last = batches.at(-1);
    if (!last || last.length === BATCH_FILES || bytes + file.size > BATCH_BYTES) {
      batches.push([]);
      bytes = 0;
    }
    where.set(file, { batch: batches.length - 1, offset: bytes });
    batches.at(-1)?.push(file);
    bytes += file.size;
  }
  const loading = new Map<number, Promise<Uint8Array>>();
  const batchBytes = (k: number): Promise<Uint8Array> => {
    for (const held of loading.keys()) if (held < k || held > k + 1) loading.delete(held);
    for (const n of [k, k + 1]) {
      if (n < batches.length && !loading.has(n)) loading.set(n, bytesOf(new Blob(batches[n])));
    }
    return loading.get(k) as Promise<Uint8Array>;
  };
  const sources = new Map<File, ContentSource>();
  for (const [file, at] of where) {
    sources.set(file, {
      async read(offset, into) {
        const data = await batchBytes(at.batch);
        const n = Math.max(0, Math.min(into.length, file.size - offset));
        into.set(data.subarray(at.offset + offset, at.offset + offset + n));
        return n;
      },
      async close() {},
    });
  }
  return sources;
}

/**
 * A tree from dropped files: what a browser knows of them is a name, a size and a modification
 * time, so files get 0644, directories 0755 and root ownership (as `fstool build` with
 * `squash_owner` and the same permissions gives). Directories take the newest file time.
 */
export function droppedTree(files: DroppedFile[], dirs: string[] = []): SourceTree {
  const entries = new Map<string, Entry>();
  let newest = 0;
  for (const f of files) newest = Math.max(newest, Math.floor(f.file.lastModified / 1000));
  const addDir = (path: string) => {
    if (path === '' || entries.has(path)) return;
    const at = path.lastIndexOf('/');
    if (at > 0) addDir(path.slice(0, at));
    entries.set(path, { path: `/${path}`, kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: newest, size: 0 });
  };
  for (const d of dirs) addDir(d);
  const batched = batchedSources(files);
  for (const { path, file } of files) {
    const at = path.lastIndexOf('/');
    if (at > 0) addDir(path.slice(0, at));
    entries.set(path, {
      path: `/${path}`,
      kind: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: Math.floor(file.lastModified / 1000),
      size: file.size,
      open: () => batched.get(file) ?? fileSource(file),
    });
  }
  return treeFromEntries(entries.values(), { mtime: newest });
}
