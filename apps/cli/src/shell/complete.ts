import { readdir } from 'node:fs/promises';
import type { FileSystem } from '@fstool/fs';
import { commandNames } from './commands.js';

/** Where a word's completions come from, by command and argument position. */
function source(words: string[]): 'command' | 'host' | 'image' {
  if (words.length <= 1) return 'command';
  return words[0] === 'put' && words.length === 2 ? 'host' : 'image';
}

/** `dir/` and `na` of a partial path `dir/na` (dir kept as typed, '' for none). */
function split(word: string): [string, string] {
  const i = word.lastIndexOf('/');
  return i < 0 ? ['', word] : [word.slice(0, i + 1), word.slice(i + 1)];
}

async function imageNames(fs: FileSystem, cwd: string, dir: string): Promise<Array<[string, boolean]>> {
  const abs = dir.startsWith('/') ? dir : `${cwd}/${dir}`;
  const entries = await fs.list(abs || '/');
  return entries.map((e) => [e.path.slice(e.path.lastIndexOf('/') + 1), e.kind === 'dir']);
}

async function hostNames(dir: string): Promise<Array<[string, boolean]>> {
  const entries = await readdir(dir === '' ? '.' : dir, { withFileTypes: true });
  return entries.map((e) => [e.name, e.isDirectory()]);
}

/**
 * Tab completion for a shell line: command names first, then paths inside the image (relative
 * to `cwd`), or host paths for `put`'s first argument. Directories complete with a trailing '/'.
 */
export async function complete(fs: FileSystem, cwd: string, line: string): Promise<[string[], string]> {
  const words = line.split(/\s+/);
  const word = words[words.length - 1] ?? '';
  const from = source(words);
  if (from === 'command') {
    const hits = commandNames.filter((c) => c.startsWith(word));
    return [hits.length ? hits : commandNames, word];
  }
  const [dir, base] = split(word);
  let names: Array<[string, boolean]>;
  try {
    names = from === 'host' ? await hostNames(dir) : await imageNames(fs, cwd, dir);
  } catch {
    return [[], word];
  }
  const hits = names
    .filter(([n]) => n.startsWith(base) && (!n.startsWith('.') || base.startsWith('.')))
    .map(([n, isDir]) => `${dir}${n}${isDir ? '/' : ''}`)
    .sort();
  return [hits, word];
}
