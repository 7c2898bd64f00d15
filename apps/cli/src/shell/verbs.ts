import { InvalidArgumentError } from '@fstool/blockdev';
import { changeMode, changeOwner, touch } from '../ops/attrs.js';
import { diskUsage, duText } from '../ops/du.js';
import { findEntries, parseFindWords } from '../ops/find.js';
import { makeLink, move } from '../ops/moves.js';
import { need } from '../ops/need.js';
import { dfText, space } from '../ops/space.js';
import { parseTime } from '../time.js';
import type { ShellCommand } from './commands.js';

/** The everyday verbs, the same code as the commands of the same names. */
export const verbs: Record<string, ShellCommand> = {
  df: {
    usage: 'df [-h]',
    help: 'space and inodes used and free (1K blocks; -h human units)',
    flags: 'h',
    args: [0, 0],
    run: async (s, _a, f) => s.io.out(dfText([['.', space(await s.fs.info())]], f.has('h'))),
  },
  du: {
    usage: 'du [-sah] [PATH]',
    help: 'apparent size of each directory below PATH; -s total only, -a files too, -h human units',
    flags: 'sah',
    args: [0, 1],
    async run(s, [path], f) {
      const rows = await diskUsage(s.fs, s.resolve(path ?? '.'), { summarize: f.has('s'), all: f.has('a') });
      s.io.out(duText(rows, f.has('h')));
    },
  },
  find: {
    usage: 'find [PATH] [-name GLOB] [-type f|d|l|c|b|p|s] [-size [+-]N[ckMG]]',
    help: 'paths at and below PATH that pass every test',
    args: [0, 8],
    rawArgs: true,
    async run(s, words) {
      const { paths, filter } = parseFindWords(words);
      if (paths.length > 1) throw new InvalidArgumentError('find takes one PATH');
      for await (const e of findEntries(s.fs, s.resolve(paths[0] ?? '.'), filter)) s.io.out(`${e.path}\n`);
    },
  },
  chmod: {
    usage: 'chmod [-R] MODE PATH',
    help: 'change permission bits (755 or u+x,go-w); -R below PATH too',
    flags: 'R',
    args: [2, 2],
    writes: true,
    run: (s, [mode, path], f) => changeMode(s.fs, mode as string, [s.resolve(path as string)], f.has('R')),
  },
  chown: {
    usage: 'chown [-R] UID[:GID] PATH',
    help: 'change owner and group (numeric); -R below PATH too',
    flags: 'R',
    args: [2, 2],
    writes: true,
    run: (s, [owner, path], f) => changeOwner(s.fs, owner as string, [s.resolve(path as string)], f.has('R')),
  },
  mv: {
    usage: 'mv FROM TO',
    help: 'rename, or move into an existing directory',
    args: [2, 2],
    writes: true,
    async run(s, [from, to]) {
      const src = s.resolve(from as string);
      const dest = await move(s.fs, src, s.resolve(to as string));
      if (s.cwd === src || s.cwd.startsWith(`${src}/`)) s.cwd = dest + s.cwd.slice(src.length);
    },
  },
  ln: {
    usage: 'ln [-s] TARGET NAME',
    help: 'hard link (or -s symbolic link, TARGET stored as written)',
    flags: 's',
    args: [2, 2],
    writes: true,
    async run(s, [target, name], f) {
      const sym = f.has('s');
      await makeLink(s.fs, sym ? (target as string) : s.resolve(target as string), s.resolve(name as string), sym);
    },
  },
  check: {
    usage: 'check',
    help: "the filesystem's own consistency check (read-only)",
    args: [0, 0],
    async run(s) {
      const r = await need(s.fs, 'check')();
      s.io.out(`${s.fs.type}: ${r.problems.length ? `${r.problems.length} problems` : 'clean'} (${r.checked})\n`);
      for (const p of r.problems) s.io.out(`  ${p}\n`);
    },
  },
  touch: {
    usage: 'touch PATH [TIME]',
    help: 'set both times (now, or seconds / ISO 8601), creating an empty file when missing',
    args: [1, 2],
    writes: true,
    run: (s, [path, time]) =>
      touch(s.fs, s.resolve(path as string), time === undefined ? {} : { time: parseTime(time) }),
  },
};
