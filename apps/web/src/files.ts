import type { ContentSource, Entry, SourceTree } from '@fstool/fs';
import { treeFromEntries } from '@fstool/fs';

/** A dropped file with its path inside the dropped folder ('etc/hosts'). */
export interface DroppedFile {
  path: string;
  file: File;
}

/** Contents of a File read slice by slice; synchronously in a worker (FileReaderSync), which is much faster. */
function fileSource(file: Blob): ContentSource {
  const Reader = (globalThis as { FileReaderSync?: new () => { readAsArrayBuffer(b: Blob): ArrayBuffer } })
    .FileReaderSync;
  const reader = Reader ? new Reader() : undefined;
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
      if (readSync) return readSync(offset, into);
      const part = new Uint8Array(await file.slice(offset, offset + into.length).arrayBuffer());
      into.set(part);
      return part.length;
    },
    async close() {},
  };
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
      open: () => fileSource(file),
    });
  }
  return treeFromEntries(entries.values(), { mtime: newest });
}
