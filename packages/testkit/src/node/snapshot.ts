import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { getAttributeSync, listAttributesSync } from '@napi-rs/xattr';

/** What a host tree looks like, one record per path, for comparing a source with an image. */
export interface NodeRecord {
  path: string;
  kind: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: bigint;
  size: number;
  sha256?: string;
  target?: string;
  rdev?: number;
  /** Index of the hard-link group (the first path of the group in sorted order), for nlink > 1 files. */
  linkGroup?: string;
  /** Bytes actually allocated (st_blocks * 512). */
  allocated: number;
  xattrs?: Record<string, string>;
}

/** Every field a faithful copy of a tree keeps (all but `allocated`, which each filesystem decides). */
export const COPY_FIELDS: Array<keyof NodeRecord> = [
  'path',
  'kind',
  'mode',
  'uid',
  'gid',
  'mtimeNs',
  'size',
  'sha256',
  'target',
  'rdev',
  'linkGroup',
  'xattrs',
];

export interface SnapshotOptions {
  /** Include xattrs (user, trusted and security namespaces where readable). Default true. */
  xattrs?: boolean;
  /** Skip these paths relative to the root (e.g. '/lost+found'). */
  ignore?: string[];
}

function kindOf(st: {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isFIFO(): boolean;
}): NodeRecord['kind'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

/** Walks `root` (not following symlinks) into sorted records. Hard-link groups are named by their first path. */
export function snapshotTree(root: string, opts: SnapshotOptions = {}): NodeRecord[] {
  const ignore = new Set(opts.ignore ?? []);
  const records: NodeRecord[] = [];
  const groups = new Map<bigint, string>();
  const walk = (rel: string) => {
    const abs = rel === '/' ? root : join(root, rel);
    const st = lstatSync(abs, { bigint: true });
    const kind = kindOf(st);
    const rec: NodeRecord = {
      path: rel,
      kind,
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtimeNs: st.mtimeNs,
      size: kind === 'dir' ? 0 : Number(st.size),
      allocated: Number(st.blocks) * 512,
    };
    if (kind === 'file') rec.sha256 = createHash('sha256').update(readFileSync(abs)).digest('hex');
    if (kind === 'symlink') rec.target = readlinkSync(abs);
    if (kind === 'char' || kind === 'block') rec.rdev = Number(st.rdev);
    if (kind !== 'dir' && st.nlink > 1n) {
      const first = groups.get(st.ino);
      if (first) rec.linkGroup = first;
      else {
        groups.set(st.ino, rel);
        rec.linkGroup = rel;
      }
    }
    if ((opts.xattrs ?? true) && kind !== 'symlink') {
      const names = listAttributesSync(abs).sort();
      if (names.length) {
        rec.xattrs = {};
        for (const n of names) rec.xattrs[n] = Buffer.from(getAttributeSync(abs, n) ?? []).toString('hex');
      }
    }
    records.push(rec);
    if (kind === 'dir') {
      const names = readdirSync(abs).sort();
      for (const name of names) {
        const child = rel === '/' ? `/${name}` : `${rel}/${name}`;
        if (!ignore.has(child)) walk(child);
      }
    }
  };
  walk('/');
  return records;
}

/** The records with only the chosen fields, for `expect(a).toEqual(b)` with readable diffs. */
export function pick(records: NodeRecord[], fields: Array<keyof NodeRecord>): Array<Partial<NodeRecord>> {
  return records.map((r) => {
    const out: Partial<NodeRecord> = {};
    for (const f of fields) if (r[f] !== undefined) (out as Record<string, unknown>)[f] = r[f];
    return out;
  });
}
