import { InvalidArgumentError } from '@fstool/blockdev';
import { basename, type Entry, type EntryKind, type FileSystem } from '@fstool/fs';
import { walk } from './tree.js';

export interface FindFilter {
  /** Shell glob on the last name (`*`, `?`, `[...]`). */
  name?: string;
  /** find's letters: f d l c b p s. */
  type?: string;
  /** find's size test: [+-]N[ckMG] (no suffix: 512-byte blocks, as find). */
  size?: string;
}

const TYPES: Record<string, EntryKind> = {
  f: 'file',
  d: 'dir',
  l: 'symlink',
  c: 'char',
  b: 'block',
  p: 'fifo',
  s: 'socket',
};
const UNITS: Record<string, number> = { '': 512, b: 512, c: 1, k: 1024, M: 2 ** 20, G: 2 ** 30 };

function globRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** The filter as a predicate; bad letters or sizes are an error naming them. */
export function matcher(f: FindFilter): (e: Entry) => boolean {
  const tests: Array<(e: Entry) => boolean> = [];
  if (f.name !== undefined) {
    const re = globRegex(f.name);
    tests.push((e) => re.test(e.path === '/' ? '/' : basename(e.path)));
  }
  if (f.type !== undefined) {
    const kinds = f.type.split(',').map((t) => {
      const k = TYPES[t];
      if (!k) throw new InvalidArgumentError(`find: unknown type "${t}" (use f, d, l, c, b, p or s)`);
      return k;
    });
    tests.push((e) => kinds.includes(e.kind));
  }
  if (f.size !== undefined) {
    const m = /^([+-]?)(\d+)([bckMG]?)$/.exec(f.size);
    if (!m) throw new InvalidArgumentError(`find: bad size "${f.size}" (like +10M, -4k, 100c)`);
    const unit = UNITS[m[3] as string] as number;
    const n = Number(m[2]);
    // find rounds sizes up to whole units before comparing.
    const units = (e: Entry) => Math.ceil(e.size / unit);
    tests.push(m[1] === '+' ? (e) => units(e) > n : m[1] === '-' ? (e) => units(e) < n : (e) => units(e) === n);
  }
  return (e) => tests.every((t) => t(e));
}

/** Paths at and below `path` that pass the filter. */
export async function* findEntries(fs: FileSystem, path: string, f: FindFilter): AsyncGenerator<Entry> {
  const ok = matcher(f);
  for await (const e of walk(fs, path)) if (ok(e)) yield e;
}

/** find-style words (`-name GLOB -type f -size +1M`) as a filter, for the shell. */
export function parseFindWords(words: string[]): { paths: string[]; filter: FindFilter } {
  const paths: string[] = [];
  const filter: FindFilter = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const key = ({ '-name': 'name', '-type': 'type', '-size': 'size' } as const)[w];
    if (!key) {
      if (w.startsWith('-')) throw new InvalidArgumentError(`find: unknown test ${w} (use -name, -type, -size)`);
      paths.push(w);
      continue;
    }
    const v = words[++i];
    if (v === undefined) throw new InvalidArgumentError(`find: ${w} needs a value`);
    filter[key] = v;
  }
  return { paths, filter };
}
