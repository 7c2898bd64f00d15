import type { Entry, FileSystem } from '@fstool/fs';
import { dirname, escapeName, formatMode } from '@fstool/fs';
import { backingPolicy } from '../backing.js';
import { imageOptions, lockOptions, registryWith } from '../context.js';
import { makeDirectory, parseMode } from '../edits/mkdir.js';
import { columns, humanSize, toJson } from '../format.js';
import type { Io } from '../io.js';
import { imagePath, jsonName } from '../names.js';
import type { Register } from './index.js';

/**
 * Runs `fn` on the filesystem of IMG or IMG:N, closing (and flushing) it afterwards. With `io`,
 * what the driver noticed on open (e.g. a journal replayed in memory) goes to stderr first.
 */
export async function onFilesystem<T>(
  ref: string,
  writable: boolean,
  fn: (fs: FileSystem) => Promise<T>,
  io?: Io,
): Promise<T> {
  const [{ withFilesystem }, registry] = await Promise.all([import('fstool/node/open'), registryWith()]);
  return withFilesystem(
    ref,
    registry,
    { writable, ...lockOptions(), ...imageOptions, backing: backingPolicy() },
    (fs) => {
      if (io) for (const w of fs.warnings) io.err(`warning: ${w}\n`);
      return fn(fs);
    },
  );
}

/** UTC, so listings are the same on every host. */
function formatTime(sec: number): string {
  return new Date(sec * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

function longRow(e: Entry, name: string, human: boolean): string[] {
  const size =
    e.kind === 'char' || e.kind === 'block'
      ? `${e.rdev?.major ?? 0}, ${e.rdev?.minor ?? 0}`
      : human
        ? humanSize(e.size)
        : String(e.size);
  return [
    formatMode(e.kind, e.mode),
    String(e.nlink ?? 1),
    String(e.uid),
    String(e.gid),
    size,
    formatTime(e.mtime),
    e.kind === 'symlink' ? `${name} -> ${escapeName(e.target ?? '')}` : name,
  ];
}

/** Seconds (and nanoseconds) as ISO 8601 UTC, with the fraction only when there is one. */
function isoTime(sec: number, nsec = 0): string {
  const iso = new Date(sec * 1000).toISOString().slice(0, 19);
  return nsec ? `${iso}.${String(nsec).padStart(9, '0')}Z` : `${iso}Z`;
}

/** `stat` as text: one `key: value` row per field; the mode in octal and as `ls -l` shows it, times in ISO 8601 UTC. */
export function statText(e: Entry): string {
  const rows = Object.entries(entryJson(e))
    .filter(([k]) => !k.endsWith('Nsec'))
    .map(([k, v]) => {
      if (k === 'mode')
        return ['mode:', `${(v as number).toString(8).padStart(4, '0')} (${formatMode(e.kind, e.mode)})`];
      if (/time$/.test(k)) return [`${k}:`, isoTime(v as number, e[`${k}Nsec` as 'mtimeNsec'])];
      return [`${k}:`, typeof v === 'object' ? JSON.stringify(v) : String(v)];
    });
  return columns(rows);
}

/**
 * JSON form of an entry: everything but the content opener, xattrs as base64; path and target as
 * the CLI prints them, with their exact bytes in base64 beside them when that differs (jsonName).
 */
export function entryJson(e: Entry): Record<string, unknown> {
  const { open: _o, xattrs, path, target, ...rest } = e;
  return {
    ...jsonName('path', path),
    ...rest,
    ...(target !== undefined ? jsonName('target', target) : {}),
    ...(xattrs
      ? { xattrs: Object.fromEntries([...xattrs].map(([k, v]) => [k, Buffer.from(v).toString('base64')])) }
      : {}),
  };
}

export async function listing(
  io: Io,
  fs: FileSystem,
  path: string,
  o: { long?: boolean; recursive?: boolean; json?: boolean; human?: boolean; all?: boolean },
) {
  const root = await fs.stat(path);
  const dirs: Array<[string, Entry[]]> = [];
  // Directories listed so far, by identity: a directory reached twice (a hard link, or a loop in a
  // damaged image) is listed once, as GNU ls does, so -R stays linear instead of exponential.
  const listed = new Map<number, string>();
  const walk = async (dir: Entry) => {
    if (dir.ino !== undefined) {
      const first = listed.get(dir.ino);
      if (first !== undefined) {
        io.err(`fstool: ${dir.path}: not listing already-listed directory ${first}\n`);
        return;
      }
      listed.set(dir.ino, dir.path);
    }
    const children = await fs.list(dir.path);
    // -a: '.' and '..' first, as ls shows them.
    const dots = o.all ? [dir, await fs.stat(dirname(dir.path))] : [];
    const prefix = dir.path === '/' ? '' : dir.path;
    dirs.push([dir.path, [...dots.map((d, i) => ({ ...d, path: `${prefix}/${i ? '..' : '.'}` })), ...children]]);
    if (o.recursive) for (const c of children) if (c.kind === 'dir') await walk(c);
  };
  if (root.kind !== 'dir') dirs.push(['', [root]]);
  else await walk(root);
  if (o.json) {
    io.out(toJson(dirs.flatMap(([, entries]) => entries.map(entryJson))));
    return;
  }
  dirs.forEach(([dir, entries], i) => {
    if (o.recursive) io.out(`${i ? '\n' : ''}${escapeName(dir)}:\n`);
    const name = (e: Entry) => escapeName(dir === '' ? e.path : (e.path.split('/').pop() ?? ''));
    if (o.long) io.out(columns(entries.map((e) => longRow(e, name(e), o.human ?? false))));
    else for (const e of entries) io.out(`${name(e)}\n`);
  });
}

export const registerFileCommands: Register = (program, io) => {
  program
    .command('ls')
    .description('list a directory inside an image')
    .helpOption('--help', 'display help for command')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('[path]', 'directory or file inside the image', '/')
    .option('-l, --long', 'mode, links, owner, group, size, mtime (UTC), name')
    .option('-R, --recursive', 'list subdirectories too')
    .option('-h, --human', 'with -l: sizes in KiB/MiB/GiB')
    .option('-a, --all', "show '.' and '..' too")
    .option('--json', 'print entries as JSON')
    .action((ref, path, o) => onFilesystem(ref, false, (fs) => listing(io, fs, imagePath(path), o), io));

  program
    .command('cat')
    .description('write a file from inside an image to stdout')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('<path>', 'file inside the image')
    .action((ref, path) =>
      onFilesystem(
        ref,
        false,
        async (fs) => {
          for await (const chunk of fs.read(imagePath(path))) await io.data(chunk);
        },
        io,
      ),
    );

  program
    .command('stat')
    .description('show the metadata of one path inside an image')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('<path>', 'path inside the image')
    .option('--json', 'print as JSON')
    .action((ref, path, o) =>
      onFilesystem(ref, false, async (fs) => {
        const e = await fs.stat(imagePath(path));
        io.out(o.json ? toJson(entryJson(e)) : statText(e));
      }),
    );

  program
    .command('mkdir')
    .description('create a directory inside an image')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('<path>', 'directory to create')
    .option('-p, --parents', 'create missing parents; no error if it is a directory already (its mode stays)')
    .option('--mode <octal>', 'permission bits of the new directories (default 755)', parseMode, 0o755)
    .action((ref, path, o) =>
      onFilesystem(ref, true, (fs) =>
        makeDirectory(fs, imagePath(path), { parents: o.parents ?? false, mode: o.mode }),
      ),
    );

  program
    .command('rm')
    .description('remove a file, link, node or (with -r) a directory tree from an image')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('<path>', 'path inside the image')
    .option('-r, --recursive', 'remove directories and their contents')
    .action((ref, path, o) =>
      onFilesystem(ref, true, (fs) => fs.remove(imagePath(path), { recursive: o.recursive ?? false })),
    );
};
