import type { FsInfo } from '@fstool/fs';
import { columns, humanSize } from '../format.js';

export interface Space {
  type: string;
  size: number;
  usedBytes?: number;
  freeBytes?: number;
  inodes?: number;
  freeInodes?: number;
}

/** The numbers df shows, from a filesystem's info. */
export function space(i: FsInfo): Space {
  const bs = i.blockSize ?? 1;
  const out: Space = { type: i.type, size: i.size };
  if (i.blocks !== undefined && i.freeBlocks !== undefined) {
    out.size = i.blocks * bs;
    out.usedBytes = (i.blocks - i.freeBlocks) * bs;
    out.freeBytes = i.freeBlocks * bs;
  }
  if (i.inodes !== undefined && i.freeInodes !== undefined) {
    out.inodes = i.inodes;
    out.freeInodes = i.freeInodes;
  }
  return out;
}

const pct = (used: number, total: number) => (total ? `${Math.ceil((used / total) * 100)}%` : '-');

/**
 * coreutils df shape, one row per filesystem: `Filesystem Type Size Used Avail Use% [Inodes IUsed IFree IUse%]`
 * (1K blocks, or human units with `human`).
 */
export function dfText(rows: Array<[string, Space]>, human: boolean): string {
  const n = (b: number | undefined) => (b === undefined ? '-' : human ? humanSize(b) : String(Math.ceil(b / 1024)));
  const head = [
    'Filesystem',
    'Type',
    human ? 'Size' : '1K-blocks',
    'Used',
    'Avail',
    'Use%',
    'Inodes',
    'IUsed',
    'IFree',
    'IUse%',
  ];
  const body = rows.map(([name, s]) => {
    const iused = s.inodes !== undefined && s.freeInodes !== undefined ? s.inodes - s.freeInodes : undefined;
    return [
      name,
      s.type,
      n(s.size),
      n(s.usedBytes),
      n(s.freeBytes),
      s.usedBytes === undefined ? '-' : pct(s.usedBytes, s.size),
      String(s.inodes ?? '-'),
      String(iused ?? '-'),
      String(s.freeInodes ?? '-'),
      iused === undefined ? '-' : pct(iused, s.inodes as number),
    ];
  });
  return columns([head, ...body]);
}
