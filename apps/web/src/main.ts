import { formatIssue, safeParseSpec } from '@fstool/spec';
import type { DroppedFile } from './files.js';
import { LAYOUTS } from './layouts.js';
import { asText, hexDump } from './preview.js';
import type { EntryInfo, Op, Ops } from './protocol.js';
import { connect } from './rpc.js';
import './style.css';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const call = connect(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }));

function fail(err: unknown): void {
  const box = $('error');
  box.textContent = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  box.hidden = false;
}

/** Runs a UI action; its error is shown (and cleared by the next action that succeeds). */
const act =
  <A extends unknown[]>(fn: (...a: A) => Promise<void>) =>
  (...a: A) => {
    $('error').hidden = true;
    fn(...a).catch(fail);
  };

/** Points a link at a blob (revoking what it pointed at before). */
function offer(link: HTMLAnchorElement, blob: Blob, name: string): void {
  if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.textContent = `Download ${name} (${blob.size.toLocaleString('en')} bytes)`;
  link.hidden = false;
}

// Tabs
for (const [tab, pane] of [
  ['tab-build', 'build-pane'],
  ['tab-open', 'open-pane'],
] as const) {
  $(tab).onclick = () => {
    for (const t of document.querySelectorAll('.tab')) t.classList.toggle('active', t.id === tab);
    $('build-pane').hidden = pane !== 'build-pane';
    $('open-pane').hidden = pane !== 'open-pane';
  };
}

// ---- Build -------------------------------------------------------------------------------------
let dropped: { files: DroppedFile[]; dirs: string[] } = { files: [], dirs: [] };

function setDropped(files: DroppedFile[], dirs: string[]): void {
  dropped = { files, dirs };
  const bytes = files.reduce((n, f) => n + f.file.size, 0);
  $('file-count').textContent = `${files.length} files (${bytes.toLocaleString('en')} bytes) ready`;
}

const fromInput = (input: HTMLInputElement) =>
  [...(input.files ?? [])].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
$<HTMLInputElement>('folder').onchange = (e) => setDropped(fromInput(e.target as HTMLInputElement), []);

interface DirectoryHandle {
  kind: 'directory';
  name: string;
  values(): AsyncIterable<DirectoryHandle | { kind: 'file'; name: string; getFile(): Promise<File> }>;
}

/** A folder picked through the File System Access API, empty directories included. */
async function readHandle(top: DirectoryHandle): Promise<{ files: DroppedFile[]; dirs: string[] }> {
  const files: DroppedFile[] = [];
  const dirs: string[] = [];
  const walk = async (dir: DirectoryHandle, path: string): Promise<void> => {
    dirs.push(path);
    for await (const child of dir.values()) {
      if (child.kind === 'file') files.push({ path: `${path}/${child.name}`, file: await child.getFile() });
      else await walk(child, `${path}/${child.name}`);
    }
  };
  await walk(top, top.name);
  return { files, dirs };
}

const pickDirectory = (window as unknown as { showDirectoryPicker?: () => Promise<DirectoryHandle> })
  .showDirectoryPicker;
$('pick-folder').hidden = !pickDirectory;
$('pick-folder').onclick = act(async () => {
  const { files, dirs } = await readHandle(await (pickDirectory as () => Promise<DirectoryHandle>)());
  setDropped(files, dirs);
});
$<HTMLInputElement>('files').onchange = (e) => setDropped(fromInput(e.target as HTMLInputElement), []);

/** Reads a dropped folder (with its empty directories) through the entries API. */
async function readDrop(items: DataTransferItemList): Promise<{ files: DroppedFile[]; dirs: string[] }> {
  const files: DroppedFile[] = [];
  const dirs: string[] = [];
  const walk = async (entry: FileSystemEntry, path: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((ok, ko) => (entry as FileSystemFileEntry).file(ok, ko));
      files.push({ path, file });
      return;
    }
    dirs.push(path);
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((ok, ko) => reader.readEntries(ok, ko));
      if (batch.length === 0) break;
      for (const child of batch) await walk(child, `${path}/${child.name}`);
    }
  };
  for (const item of [...items]) {
    const entry = item.webkitGetAsEntry();
    const file = entry ? undefined : item.getAsFile();
    if (entry) await walk(entry, entry.name);
    else if (file) files.push({ path: file.name, file });
  }
  return { files, dirs };
}

function dropZone(id: string, onDrop: (e: DragEvent) => Promise<void>): void {
  const zone = $(id);
  zone.ondragover = (e) => {
    e.preventDefault();
    zone.classList.add('over');
  };
  zone.ondragleave = () => zone.classList.remove('over');
  zone.ondrop = act(async (e: DragEvent) => {
    e.preventDefault();
    zone.classList.remove('over');
    await onDrop(e);
  });
}
dropZone('drop-build', async (e) => {
  if (!e.dataTransfer) return;
  const { files, dirs } = await readDrop(e.dataTransfer.items);
  setDropped(files, dirs);
});

// Spec editor with live validation: the CLI's messages, lines marked in the gutter.
const spec = $<HTMLTextAreaElement>('spec');
const layout = $<HTMLSelectElement>('layout');
for (const [key, { label }] of Object.entries(LAYOUTS)) layout.add(new Option(label, key));
layout.onchange = () => {
  spec.value = LAYOUTS[layout.value]?.spec ?? '';
  validate();
};

function validate(): boolean {
  const result = safeParseSpec(spec.value);
  const issues = result.ok ? [] : result.issues;
  const bad = new Map(issues.filter((i) => i.line !== undefined).map((i) => [i.line as number, i.message]));
  const gutter = $('gutter');
  gutter.replaceChildren(
    ...spec.value.split('\n').map((_, i) => {
      const line = document.createElement('div');
      line.textContent = String(i + 1);
      const message = bad.get(i + 1);
      if (message) {
        line.className = 'bad';
        line.title = message;
      }
      return line;
    }),
  );
  const list = $('issues');
  list.replaceChildren(
    ...issues.map((issue) =>
      Object.assign(document.createElement('li'), { textContent: formatIssue(issue, 'spec.toml') }),
    ),
  );
  if (result.ok)
    list.append(Object.assign(document.createElement('li'), { className: 'ok', textContent: 'spec is valid' }));
  $<HTMLButtonElement>('build').disabled = !result.ok;
  return result.ok;
}
spec.oninput = validate;
spec.onscroll = () => {
  $('gutter').scrollTop = spec.scrollTop;
};
spec.value = LAYOUTS.ext4?.spec ?? '';
validate();

let built: File | undefined;
$('build').onclick = act(async () => {
  if (!validate()) return;
  const progress = $<HTMLProgressElement>('build-progress');
  const status = $('build-status');
  progress.hidden = false;
  progress.removeAttribute('value');
  $('download').hidden = true;
  $('save-disk').hidden = true;
  status.textContent = 'planning…';
  const started = performance.now();
  try {
    const format = $<HTMLSelectElement>('format').value as 'raw' | 'qcow2';
    const r = await call('build', { spec: spec.value, ...dropped, format }, (p) => {
      progress.max = p.total || 1;
      progress.value = p.done;
      status.textContent = `${p.volume ? `partition ${p.volume}: ` : ''}${p.phase} ${p.done}/${p.total}`;
    });
    built = r.file;
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    status.textContent =
      `built a ${r.size.toLocaleString('en')}-byte ${r.table ? `${r.table.toUpperCase()} ` : ''}image (${r.format}) ` +
      `in ${seconds} s, kept ${r.storage === 'opfs' ? 'on disk (OPFS)' : 'in memory'}` +
      (r.warnings.length ? `; warnings:\n${r.warnings.join('\n')}` : '');
    offer($<HTMLAnchorElement>('download'), r.file, r.file.name);
    $('save-disk').hidden = !('showSaveFilePicker' in window);
  } finally {
    progress.hidden = true;
  }
});

interface SavePicker {
  showSaveFilePicker(opts: { suggestedName: string }): Promise<{ createWritable(): Promise<WritableStream> }>;
}

// Streams the built image (on disk in OPFS) to a file the user picks: never held whole in memory.
$('save-disk').onclick = act(async () => {
  if (!built) return;
  const target = await (window as unknown as SavePicker).showSaveFilePicker({ suggestedName: built.name });
  $('build-status').textContent = 'saving…';
  await built.stream().pipeTo(await target.createWritable());
  $('build-status').textContent = `saved ${built.name} (${built.size.toLocaleString('en')} bytes)`;
});

// ---- Open, browse, edit ------------------------------------------------------------------------
interface VolumeView {
  index: number;
  partition?: { type?: string; name?: string; start: number; size: number };
  filesystem?: { type: string; label?: string; size: number };
  error?: string;
}
let volume = 0;
let cwd = '/';
let selected: EntryInfo | undefined;
let preview: Uint8Array | undefined;
let imageName = 'image.img';

const join = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);
const parent = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/';
const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** Calls the worker for the Open pane, showing its progress (bytes copied, read or written). */
async function work<K extends Op>(op: K, args: Ops[K]['args']): Promise<Ops[K]['result']> {
  const bar = $<HTMLProgressElement>('open-progress');
  const status = $('open-status');
  bar.removeAttribute('value');
  status.textContent = `${op}…`;
  const shown = setTimeout(() => (bar.hidden = false), 200); // only for work that takes a while
  try {
    return await call(op, args, (p) => {
      if (p.total) {
        bar.max = p.total;
        bar.value = p.done;
      }
      status.textContent = `${p.phase}: ${p.done.toLocaleString('en')}${p.total ? ` of ${p.total.toLocaleString('en')}` : ''} bytes`;
    });
  } finally {
    clearTimeout(shown);
    bar.hidden = true;
    status.textContent = '';
  }
}

async function openImageFile(file: File): Promise<void> {
  imageName = file.name;
  for (const id of ['saved', 'fetched', 'browser']) $(id).hidden = true;
  $('volumes').replaceChildren();
  $('summary').textContent = '';
  const { info, format } = await work('open', { file });
  const d = info as { size: number; table: string; id?: string; warnings: string[]; volumes: VolumeView[] };
  $('summary').textContent =
    `${file.name}: ${format}, ${d.size.toLocaleString('en')} bytes, ` +
    `${d.table === 'none' ? 'no partition table' : `${d.table.toUpperCase()} partition table`}` +
    (d.id ? ` (id ${d.id})` : '') +
    (d.warnings.length ? `; ${d.warnings.join('; ')}` : '');
  const buttons = d.volumes.map((v) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.volume = String(v.index);
    const where =
      v.index === 0 ? 'filesystem' : `partition ${v.index}${v.partition?.name ? ` (${v.partition.name})` : ''}`;
    const fs = v.filesystem
      ? `${v.filesystem.type}${v.filesystem.label ? ` "${v.filesystem.label}"` : ''}`
      : (v.error ?? 'unknown filesystem');
    b.textContent = `${where}: ${fs}`;
    b.disabled = !v.filesystem;
    b.onclick = act(async () => {
      volume = v.index;
      await show('/');
    });
    return b;
  });
  $('volumes').replaceChildren(...buttons);
  const first = d.volumes.find((v) => v.filesystem);
  if (first) {
    volume = first.index;
    await show('/');
  }
}

/** Bumped by each navigation: a listing that arrives after a newer navigation began is dropped. */
let navigation = 0;

async function show(dir: string): Promise<void> {
  const mine = ++navigation;
  const entries = await call('list', { volume, path: dir });
  if (mine !== navigation) return;
  cwd = dir;
  $('cwd').textContent = `${volume ? `partition ${volume}: ` : ''}${dir}`;
  const rows = [...(dir === '/' ? [] : [{ path: parent(dir), kind: 'dir', up: true } as const]), ...entries].map(
    (e) => {
      const tr = document.createElement('tr');
      tr.dataset.path = e.path;
      const cells =
        'up' in e
          ? ['..', 'dir', '', '', '']
          : [
              baseName(e.path),
              e.kind,
              e.kind === 'dir' ? '' : e.size.toLocaleString('en'),
              (e.mode & 0o7777).toString(8).padStart(4, '0'),
              new Date(e.mtime * 1000).toISOString().replace('.000Z', 'Z'),
            ];
      for (const text of cells) tr.append(Object.assign(document.createElement('td'), { textContent: text }));
      tr.onclick = act(async () => (e.kind === 'dir' ? show(e.path) : select(e.path)));
      return tr;
    },
  );
  $('listing')
    .querySelector('tbody')
    ?.replaceChildren(...rows);
  $('browser').hidden = false;
  await select(dir);
}

async function select(path: string): Promise<void> {
  const mine = ++navigation;
  const entry = await call('stat', { volume, path });
  if (mine !== navigation) return;
  selected = entry;
  for (const tr of $('listing').querySelectorAll('tbody tr')) {
    tr.classList.toggle('selected', (tr as HTMLElement).dataset.path === path && path !== cwd);
  }
  const { xattrs, ...shown } = selected;
  const lines = Object.entries(shown).map(([k, v]) => {
    const value =
      k === 'mode' ? `0${(v as number).toString(8)}` : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return `${k.padEnd(10)} ${value}`;
  });
  if (xattrs?.size) lines.push(`xattrs     ${[...xattrs.keys()].join(', ')}`);
  $('stat').textContent = lines.join('\n');
  const head = selected.kind === 'file' ? await call('head', { volume, path, max: 64 * 1024 }) : undefined;
  if (mine !== navigation) return;
  preview = head;
  render(preview && asText(preview) !== undefined ? 'text' : 'hex');
}

function render(mode: 'text' | 'hex'): void {
  const box = $('preview');
  if (!preview) {
    box.textContent = selected?.kind === 'symlink' ? `→ ${selected.target}` : '';
    return;
  }
  const more = selected && selected.size > preview.length ? `\n… (${selected.size - preview.length} more bytes)` : '';
  box.textContent = (mode === 'text' ? (asText(preview) ?? hexDump(preview)) : hexDump(preview)) + more;
  box.dataset.mode = mode === 'text' && asText(preview) !== undefined ? 'text' : 'hex';
}
$('view-text').onclick = () => render('text');
$('view-hex').onclick = () => render('hex');

$<HTMLInputElement>('image').onchange = act(async () => {
  const file = $<HTMLInputElement>('image').files?.[0];
  if (file) await openImageFile(file);
});
dropZone('drop-open', async (e) => {
  const file = e.dataTransfer?.files[0];
  if (file) await openImageFile(file);
});

$('dl-file').onclick = act(async () => {
  if (selected?.kind !== 'file') throw new Error('select a file first');
  offer(
    $<HTMLAnchorElement>('fetched'),
    await work('download', { volume, path: selected.path }),
    baseName(selected.path),
  );
});
$('dl-tar').onclick = act(async () => {
  const name = `${cwd === '/' ? 'root' : baseName(cwd)}.tar`;
  offer($<HTMLAnchorElement>('fetched'), await work('tar', { volume, path: cwd }), name);
});

$<HTMLInputElement>('add-files').onchange = act(async () => {
  const input = $<HTMLInputElement>('add-files');
  await work('add', { volume, dir: cwd, files: [...(input.files ?? [])] });
  input.value = '';
  await show(cwd);
});
const newName = () => {
  const name = $<HTMLInputElement>('new-name').value.trim();
  if (!name || name.includes('/')) throw new Error('type a name (without "/") first');
  return name;
};
$('mkdir').onclick = act(async () => {
  await work('mkdir', { volume, path: join(cwd, newName()) });
  await show(cwd);
});
$('rename').onclick = act(async () => {
  if (!selected || selected.path === '/') throw new Error('select a file or folder first');
  const from = selected.path;
  const to = join(parent(from), newName());
  await work('rename', { volume, from, to });
  await show(from === cwd ? parent(to) : cwd);
});
$('remove').onclick = act(async () => {
  if (!selected || selected.path === '/') throw new Error('select a file or folder first');
  const gone = selected.path;
  await work('remove', { volume, path: gone });
  await show(gone === cwd ? parent(gone) : cwd);
});
$('save').onclick = act(async () => {
  const name = imageName.replace(/(\.[^.]+)?$/, '-edited$1');
  const file = await work('save', { name });
  offer($<HTMLAnchorElement>('saved'), file, name);
  await show(cwd);
});

// A scripting hook for automation (benchmarks drive the worker directly through it).
Object.assign(window, { fstool: { call } });
