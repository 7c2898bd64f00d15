import type { FileSystem } from '@fstool/fs';
import { escapeName } from '@fstool/fs';
import { humanSize } from '../format.js';
import { walk } from './tree.js';

export interface DuOptions {
  /** Only the operand's total (-s). */
  summarize?: boolean;
  /** Files too, not only directories (-a). */
  all?: boolean;
}

const under = (p: string, dir: string) => (dir === '/' ? p !== '/' : p.startsWith(`${dir}/`));

/**
 * `du`: apparent sizes (bytes of content, as `du --apparent-size`) with everything below each
 * directory, a directory after its contents like coreutils; hard links counted once.
 */
export async function diskUsage(fs: FileSystem, path: string, o: DuOptions): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  const open: Array<{ path: string; total: number }> = [];
  const seen = new Set<number>();
  const closeDir = () => {
    const d = open.pop() as { path: string; total: number };
    out.push([d.total, d.path]);
    const parent = open[open.length - 1];
    if (parent) parent.total += d.total;
  };
  for await (const e of walk(fs, path)) {
    while (open.length && !under(e.path, (open[open.length - 1] as { path: string }).path)) closeDir();
    const repeat = e.kind !== 'dir' && e.ino !== undefined && (e.nlink ?? 1) > 1 && seen.has(e.ino);
    if (e.ino !== undefined && (e.nlink ?? 1) > 1) seen.add(e.ino);
    const size = repeat || !['file', 'dir', 'symlink'].includes(e.kind) ? 0 : e.size;
    if (e.kind === 'dir') {
      open.push({ path: e.path, total: size });
      continue;
    }
    const parent = open[open.length - 1];
    if (parent) parent.total += size;
    if (o.all || !parent) out.push([size, e.path]);
  }
  while (open.length) closeDir();
  return o.summarize ? out.slice(-1) : out;
}

/** coreutils shape: SIZE<TAB>PATH, sizes in KiB (rounded up) or human units. */
export function duText(rows: Array<[number, string]>, human: boolean): string {
  return rows.map(([n, p]) => `${human ? humanSize(n) : Math.ceil(n / 1024)}\t${escapeName(p)}\n`).join('');
}
