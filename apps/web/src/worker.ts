/**
 * The page's worker: every fstool operation runs here, so the page stays responsive. It holds at
 * most one opened image; edits go to an OPFS copy of it, made on the first edit.
 */
import { FsError } from '@fstool/blockdev';
import { type Entry, type FileSystem, type Progress, streamSource } from '@fstool/fs';
import { parseSpec } from '@fstool/spec';
import { buildImage, createRegistry, type OpenedImage, openImage } from 'fstool/browser';
import { BlobDevice } from './devices.js';
import { type DroppedFile, droppedTree } from './files.js';
import type { EntryInfo, Op, Ops, Reply, Request } from './protocol.js';
import { type Scratch, scratch } from './storage.js';
import { tarFolder } from './tar.js';

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<Request>) => void) | null;
  postMessage(msg: Reply): void;
};
const registry = createRegistry();

interface State {
  /** The bytes edits start from: the dropped file, or the last save. */
  source: File;
  image: OpenedImage;
  /** The OPFS (or memory) copy being edited, once an edit has started. */
  copy?: Scratch;
  filesystems: Map<number, FileSystem>;
}
let state: State | undefined;

function info(e: Entry): EntryInfo {
  const { open: _open, ...rest } = e;
  return rest;
}

async function collect(chunks: AsyncIterable<Uint8Array>, type: string): Promise<Blob> {
  const parts: BlobPart[] = [];
  for await (const c of chunks) parts.push(c.slice());
  return new Blob(parts, { type });
}

/**
 * The dropped files each `source` key means: the folder of that name, else the only one dropped
 * (nothing dropped: an empty filesystem).
 */
function treesFor(files: DroppedFile[], dirs: string[]) {
  const groups = new Map<string, { files: DroppedFile[]; dirs: string[] }>();
  const group = (top: string) => {
    const g = groups.get(top) ?? { files: [], dirs: [] };
    groups.set(top, g);
    return g;
  };
  for (const f of files) {
    const at = f.path.indexOf('/');
    group(at < 0 ? '' : f.path.slice(0, at)).files.push({ path: at < 0 ? f.path : f.path.slice(at + 1), file: f.file });
  }
  for (const d of dirs) {
    const at = d.indexOf('/');
    if (at < 0) group(d);
    else group(d.slice(0, at)).dirs.push(d.slice(at + 1));
  }
  return (source: string) => {
    const name = source.replace(/\/+$/, '').split('/').pop() ?? '';
    if (groups.size === 0) return droppedTree([]);
    const g = groups.get(name) ?? (groups.size === 1 ? [...groups.values()][0] : undefined);
    if (!g) {
      const have = [...groups.keys()].map((k) => k || '(loose files)').join(', ');
      throw new FsError('SOURCE', `source "${source}": drop a folder named "${name}" (dropped: ${have})`);
    }
    return droppedTree(g.files, g.dirs);
  };
}

/**
 * Progress reports for request `id`, a few a second: drivers may report every file, and the page
 * needs no 20,000 messages. The last report (done = total) always goes.
 */
function progressTo(id: number): (p: Progress & { volume: number }) => void {
  let last = 0;
  return (p) => {
    const now = performance.now();
    if (now - last < 100 && p.done < p.total) return;
    last = now;
    scope.postMessage({ id, progress: p });
  };
}

async function build(id: number, a: Ops['build']['args']): Promise<Ops['build']['result']> {
  const spec = parseSpec(a.spec, 'spec.toml');
  const pick = treesFor(a.files, a.dirs);
  const fss = spec.kind === 'filesystem' ? [spec.filesystem] : spec.partitions.map((p) => p.filesystem);
  const trees = fss.map((fs) => (fs?.source !== undefined ? pick(fs.source) : undefined));
  const out = await scratch('build');
  const report = progressTo(id);
  const result = await buildImage(spec, {
    registry,
    output: async () => out.device,
    trees,
    format: a.format,
    onProgress: (volume, p) => report({ ...p, volume }),
  });
  const ext = a.format === 'qcow2' ? 'qcow2' : 'img';
  return {
    file: await out.file(`image.${ext}`),
    size: result.size,
    format: result.format,
    ...(result.table ? { table: result.table } : {}),
    warnings: result.warnings,
    storage: out.storage,
  };
}

async function closeAll(s: State): Promise<void> {
  for (const fs of s.filesystems.values()) await fs.close();
  s.filesystems.clear();
  await s.image.close();
}

async function open(source: File): Promise<Ops['open']['result']> {
  if (state) await closeAll(state);
  state = undefined;
  const image = await openImage(new BlobDevice(source), registry);
  state = { source, image, filesystems: new Map() };
  return { format: image.format, info: await image.disk.describe() };
}

/** Streams chunks through, reporting the bytes passed to request `id`. */
async function* counted(id: number, phase: string, total: number, chunks: AsyncIterable<Uint8Array>) {
  const report = progressTo(id);
  let done = 0;
  for await (const c of chunks) {
    yield c;
    done += c.length;
    report({ phase, done, total, volume: 0 });
  }
}

/**
 * The opened filesystem of a volume. For an edit (`editFor`: the request's id) the image first
 * moves into a writable OPFS copy, with progress, since a large image takes a while to copy.
 */
async function fsOf(volume: number, editFor?: number): Promise<FileSystem> {
  if (!state) throw new FsError('NO_IMAGE', 'open an image first');
  if (editFor !== undefined && !state.copy) {
    await closeAll(state);
    const copy = await scratch('edit', 1); // the last save stays readable
    const { source } = state;
    let at = 0;
    for await (const chunk of counted(editFor, 'copying the image for editing', source.size, source.stream())) {
      await copy.device.write(at, chunk);
      at += chunk.length;
    }
    state.image = await openImage(copy.device, registry, { writable: true });
    state.copy = copy;
  }
  let fs = state.filesystems.get(volume);
  if (!fs) {
    fs = await state.image.disk.openFilesystem(volume === 0 ? undefined : volume, {
      writable: state.copy !== undefined,
    });
    state.filesystems.set(volume, fs);
  }
  return fs;
}

/** Copies `from` to `to` inside one filesystem (contents streamed), then removes `from`. */
async function move(fs: FileSystem, from: string, to: string): Promise<void> {
  const copy = async (src: string, dst: string) => {
    const e = await fs.stat(src);
    const entry: Entry = { ...info(e), path: dst };
    if (e.kind === 'file') entry.open = () => streamSource(() => fs.read(src));
    await fs.add(dst, entry);
    if (e.kind === 'dir')
      for (const child of await fs.list(src)) await copy(child.path, `${dst}/${child.path.split('/').pop()}`);
  };
  if (to === from || to.startsWith(`${from}/`))
    throw new FsError('INVALID_ARGUMENT', `cannot move ${from} into itself`);
  await copy(from, to);
  await fs.remove(from, { recursive: true });
}

const join = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);

const handlers: { [K in Op]: (id: number, a: Ops[K]['args']) => Promise<Ops[K]['result']> } = {
  build,
  open: (_, a) => open(a.file),
  list: async (_, a) => (await (await fsOf(a.volume)).list(a.path)).map(info),
  stat: async (_, a) => info(await (await fsOf(a.volume)).stat(a.path)),
  head: async (_, a) => {
    const out = new Uint8Array(a.max);
    let n = 0;
    for await (const c of (await fsOf(a.volume)).read(a.path)) {
      const take = Math.min(c.length, a.max - n);
      out.set(c.subarray(0, take), n);
      n += take;
      if (n === a.max) break;
    }
    return out.slice(0, n);
  },
  download: async (id, a) => {
    const fs = await fsOf(a.volume);
    const { size } = await fs.stat(a.path);
    return collect(counted(id, 'reading', size, fs.read(a.path)), 'application/octet-stream');
  },
  tar: async (id, a) =>
    collect(counted(id, 'writing the tar', 0, tarFolder(await fsOf(a.volume), a.path)), 'application/x-tar'),
  add: async (id, a) => {
    const fs = await fsOf(a.volume, id);
    const tree = droppedTree(a.files.map((file) => ({ path: file.name, file })));
    for await (const e of tree.entries()) if (e.path !== '/') await fs.add(join(a.dir, e.path.slice(1)), e);
    return null;
  },
  mkdir: async (id, a) => {
    const fs = await fsOf(a.volume, id);
    const now = Math.floor(Date.now() / 1000);
    await fs.add(a.path, { path: a.path, kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: now, size: 0 });
    return null;
  },
  remove: async (id, a) => {
    await (await fsOf(a.volume, id)).remove(a.path, { recursive: true });
    return null;
  },
  rename: async (id, a) => {
    await move(await fsOf(a.volume, id), a.from, a.to);
    return null;
  },
  save: async (_, a) => {
    if (!state?.copy) throw new FsError('NOTHING_TO_SAVE', 'nothing was edited');
    const { copy } = state;
    await closeAll(state);
    const file = await copy.file(a.name);
    // Later edits start from the saved image, in a fresh copy (the saved File stays readable).
    await open(file);
    return file;
  },
};

scope.onmessage = async (e) => {
  const { id, op, args } = e.data;
  try {
    const value = await (handlers[op] as (id: number, a: unknown) => Promise<unknown>)(id, args);
    scope.postMessage({ id, ok: true, value });
  } catch (err) {
    const error =
      err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
    scope.postMessage({ id, ok: false, error });
  }
};
