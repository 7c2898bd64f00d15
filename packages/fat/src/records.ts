/**
 * Encoding one name (long-name entries + short entry) into directory slots, and the mapping
 * between fstool entries and FAT attributes and times. Shared by the writer and the editor.
 */
import type { Entry } from '@fstool/fs';
import { ATTR, DIRENT_SIZE, LFN_CHARS, LFN_LAST, lfnChecksum, lfnEntry, shortEntry } from './format/dirent.js';
import { encodeFatTime } from './format/time.js';
import { lfnCount, type ShortName, shortNameBytes } from './names.js';

/** What one directory record says about its object. */
export interface RecordInfo {
  attr: number;
  cluster: number;
  size: number;
  mtime: number;
  mtimeNsec?: number;
  ctime: number;
  ctimeNsec?: number;
  atime: number;
}

/** Slots (32-byte entries) a name takes. */
export function recordSlots(name: string, short: ShortName): number {
  return 1 + (short.needsLfn ? lfnCount(name) : 0);
}

/** The metadata fstool keeps for an entry: attributes from the mode and name, times. */
export function recordInfo(entry: Entry, name: string, hideDotFiles: boolean): Omit<RecordInfo, 'cluster' | 'size'> {
  let attr = entry.kind === 'dir' ? ATTR.DIRECTORY : ATTR.ARCHIVE;
  if (entry.kind !== 'dir' && (entry.mode & 0o222) === 0) attr |= ATTR.READ_ONLY;
  if (hideDotFiles && name.startsWith('.')) attr |= ATTR.HIDDEN;
  const info: Omit<RecordInfo, 'cluster' | 'size'> = {
    attr,
    mtime: entry.mtime,
    ctime: entry.crtime ?? entry.ctime ?? entry.mtime,
    atime: entry.atime ?? entry.mtime,
  };
  if (entry.mtimeNsec !== undefined) info.mtimeNsec = entry.mtimeNsec;
  const cns =
    entry.crtime !== undefined ? entry.crtimeNsec : entry.ctime !== undefined ? entry.ctimeNsec : entry.mtimeNsec;
  if (cns !== undefined) info.ctimeNsec = cns;
  return info;
}

/** Writes the short entry for `raw` at `off` (also used for '.', '..' and the volume label). */
export function encodeShort(
  out: Uint8Array,
  off: number,
  rawName: Uint8Array,
  ntCase: number,
  info: RecordInfo,
  zone: number,
): void {
  const w = encodeFatTime(info.mtime, zone, info.mtimeNsec);
  const c = encodeFatTime(info.ctime, zone, info.ctimeNsec);
  const a = encodeFatTime(info.atime, zone);
  shortEntry.encode(
    {
      name: rawName,
      attr: info.attr,
      ntCase,
      createTenths: c.tenths,
      createTime: c.time,
      createDate: c.date,
      accessDate: a.date,
      clusterHi: Math.floor(info.cluster / 0x10000),
      writeTime: w.time,
      writeDate: w.date,
      clusterLo: info.cluster & 0xffff,
      size: info.size,
    },
    out,
    off,
  );
}

const NAME_SPANS: Array<['name1' | 'name2' | 'name3', number]> = [
  ['name1', 5],
  ['name2', 6],
  ['name3', 2],
];

/** Writes the long-name entries (if any) and the short entry at `off`; returns the slots used. */
export function encodeRecord(
  out: Uint8Array,
  off: number,
  name: string,
  short: ShortName,
  info: RecordInfo,
  zone: number,
): number {
  const raw = shortNameBytes(short.raw);
  let slot = 0;
  if (short.needsLfn) {
    const n = lfnCount(name);
    const sum = lfnChecksum(raw);
    for (let k = n; k >= 1; k--) {
      const at = off + slot * DIRENT_SIZE;
      const parts = { name1: new Uint8Array(10), name2: new Uint8Array(12), name3: new Uint8Array(4) };
      let unit = (k - 1) * LFN_CHARS;
      for (const [key, count] of NAME_SPANS) {
        const dv = new DataView(parts[key].buffer);
        for (let j = 0; j < count; j++, unit++) {
          // After the name: one 0x0000 terminator, then 0xFFFF padding.
          const v = unit < name.length ? name.charCodeAt(unit) : unit === name.length ? 0 : 0xffff;
          dv.setUint16(j * 2, v, true);
        }
      }
      lfnEntry.encode(
        {
          order: k | (k === n ? LFN_LAST : 0),
          ...parts,
          attr: ATTR.LONG_NAME,
          type: 0,
          checksum: sum,
          clusterLo: 0,
        },
        out,
        at,
      );
      slot++;
    }
  }
  encodeShort(out, off + slot * DIRENT_SIZE, raw, short.ntCase, info, zone);
  return slot + 1;
}
