import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename as hostBasename, join as hostJoin } from 'node:path';
import { FsError, InvalidArgumentError } from '@fstool/blockdev';
import { basename, escapeName, type FileSystem, IsDirectoryError, NotDirectoryError } from '@fstool/fs';
import { listing, statText } from '../commands/files.js';
import { formatFsInfo } from '../commands/info.js';
import { addHostPath } from '../edits/copy-in.js';
import { makeDirectory } from '../edits/mkdir.js';
import { extractTree } from '../extract.js';
import { columns, humanSize } from '../format.js';
import type { Io } from '../io.js';
import { verbs } from './verbs.js';
import { parseFlags } from './words.js';

/** What a command sees of the session. */
export interface ShellState {
  readonly fs: FileSystem;
  readonly io: Io;
  readonly readOnly: boolean;
  cwd: string;
  /** An image path relative to the working directory, made absolute and normalised. */
  resolve(path: string): string;
}

export interface ShellCommand {
  usage: string;
  help: string;
  /** Single-letter flags it takes. */
  flags?: string;
  args: [min: number, max: number];
  /** Takes its words as they are (find's `-name GLOB` tests are not flags). */
  rawArgs?: boolean;
  /** Changes the image: refused in a read-only session. */
  writes?: boolean;
  run(s: ShellState, args: string[], flags: Set<string>): Promise<void>;
}

const commands: Record<string, ShellCommand> = {
  ls: {
    usage: 'ls [-l] [PATH]',
    help: 'list a directory (or show one entry); -l for mode, links, owner, size, mtime',
    flags: 'l',
    args: [0, 1],
    run: (s, [path], f) => listing(s.io, s.fs, s.resolve(path ?? '.'), { long: f.has('l') }),
  },
  cd: {
    usage: 'cd [PATH]',
    help: 'change the working directory (default /)',
    args: [0, 1],
    async run(s, [path]) {
      const to = s.resolve(path ?? '/');
      const e = await s.fs.stat(to);
      if (e.kind !== 'dir') throw new NotDirectoryError(to);
      s.cwd = to;
    },
  },
  pwd: {
    usage: 'pwd',
    help: 'print the working directory',
    args: [0, 0],
    run: async (s) => s.io.out(`${escapeName(s.cwd)}\n`),
  },
  cat: {
    usage: 'cat PATH',
    help: 'print a file',
    args: [1, 1],
    async run(s, [path]) {
      for await (const chunk of s.fs.read(s.resolve(path as string))) await s.io.data(chunk);
    },
  },
  get: {
    usage: 'get [-r] PATH [HOSTPATH]',
    help: 'copy a file out to the host (default: its name in the current host directory); -r copies a tree like extract',
    flags: 'r',
    args: [1, 2],
    async run(s, [path, host], f) {
      const from = s.resolve(path as string);
      const e = await s.fs.stat(from);
      if (f.has('r')) {
        const to = host ?? (from === '/' ? '.' : basename(from));
        const r = await extractTree(s.fs, from, to, { onWarning: (m) => s.io.err(`warning: ${m}\n`) });
        s.io.err(`${from} -> ${to} (${r.entries} entries, ${humanSize(r.bytes)})\n`);
        return;
      }
      if (e.kind === 'dir') throw new IsDirectoryError(from);
      if (e.kind !== 'file') throw new InvalidArgumentError(`${from} is a ${e.kind}, not a regular file`);
      let to = host ?? basename(from);
      if (isHostDir(to)) to = hostJoin(to, basename(from));
      const out = await open(to, 'w', 0o644);
      try {
        for await (const chunk of s.fs.read(from)) await out.write(chunk);
      } finally {
        await out.close();
      }
      s.io.err(`${escapeName(from)} -> ${to} (${humanSize(e.size)})\n`);
    },
  },
  put: {
    usage: 'put [-p] HOSTPATH [PATH]',
    help: 'copy a host file, link, node or directory tree in, like cp -a (default: into the working directory); -p creates missing parents',
    flags: 'p',
    args: [1, 2],
    writes: true,
    async run(s, [host, path], f) {
      const dest = path === undefined ? s.cwd : s.resolve(path);
      const n = await addHostPath(s.fs, host as string, dest, { parents: f.has('p') });
      s.io.err(`${hostBasename(host as string)} -> ${escapeName(dest)} (${n} ${n === 1 ? 'entry' : 'entries'})\n`);
    },
  },
  rm: {
    usage: 'rm [-r] PATH',
    help: 'remove a file, link or node; -r removes a directory tree',
    flags: 'r',
    args: [1, 1],
    writes: true,
    async run(s, [path], f) {
      const target = s.resolve(path as string);
      if (target === '/') throw new InvalidArgumentError('refusing to remove /');
      await s.fs.remove(target, { recursive: f.has('r') });
      if (s.cwd === target || s.cwd.startsWith(`${target}/`)) s.cwd = '/';
    },
  },
  mkdir: {
    usage: 'mkdir [-p] PATH',
    help: 'create a directory; -p creates missing parents',
    flags: 'p',
    args: [1, 1],
    writes: true,
    run: (s, [path], f) => makeDirectory(s.fs, s.resolve(path as string), { parents: f.has('p'), mode: 0o755 }),
  },
  stat: {
    usage: 'stat PATH',
    help: 'show the metadata of one path',
    args: [1, 1],
    run: async (s, [path]) => s.io.out(statText(await s.fs.stat(s.resolve(path as string)))),
  },
  info: {
    usage: 'info',
    help: 'describe the filesystem (type, label, UUID, features, counts)',
    args: [0, 0],
    run: async (s) => s.io.out(formatFsInfo(await s.fs.info(), s.fs.warnings)),
  },
  ...verbs,
  help: {
    usage: 'help',
    help: 'this list',
    args: [0, 0],
    async run(s) {
      const rows = Object.values(commands).map((c) => [c.usage, c.help]);
      rows.push(['exit, quit', 'leave (so does end of input); the image is flushed']);
      s.io.out(columns(rows));
    },
  },
};

/** Words that end the session. */
export const EXIT_WORDS = new Set(['exit', 'quit']);

/** Runs one parsed command line against the session. */
export async function runCommand(s: ShellState, words: string[]): Promise<void> {
  const [name, ...rest] = words;
  if (name === undefined) return;
  const cmd = commands[name];
  if (!cmd) throw new InvalidArgumentError(`unknown command "${name}" (try help)`);
  if (cmd.writes && s.readOnly) throw new FsError('READ_ONLY', `${name}: the session is read-only (--ro)`);
  const { flags, args } = cmd.rawArgs ? { flags: new Set<string>(), args: rest } : parseFlags(rest, cmd.flags ?? '');
  const [min, max] = cmd.args;
  if (args.length < min || args.length > max) throw new InvalidArgumentError(`usage: ${cmd.usage}`);
  await cmd.run(s, args, flags);
}

/** Command names, for tab completion. */
export const commandNames = [...Object.keys(commands), ...EXIT_WORDS].sort();

function isHostDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
