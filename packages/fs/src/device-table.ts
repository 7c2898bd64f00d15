import { FsError } from '@fstool/blockdev';
import type { Entry, EntryKind, SourceTree } from './entry.js';
import { bytesSource } from './memory-tree.js';
import { type OverlayItem, type OverlayOptions, overlayTree } from './overlay.js';
import { normalizePath } from './path.js';

/** A device table line that cannot be understood: names the table and the line. */
export class DeviceTableError extends FsError {
  constructor(
    readonly source: string,
    readonly line: number,
    message: string,
  ) {
    super('DEVICE_TABLE', `${source}:${line}: ${message}`);
  }
}

/** genext2fs' type letters. */
const KINDS: Record<string, EntryKind> = { d: 'dir', f: 'file', c: 'char', b: 'block', p: 'fifo', s: 'socket' };

/** One line of a device table, fields as written ('-' or absent fields are undefined). */
export interface DeviceTableLine {
  source: string;
  line: number;
  path: string;
  kind: EntryKind;
  mode: number;
  uid?: number;
  gid?: number;
  major?: number;
  minor?: number;
  start?: number;
  inc?: number;
  count?: number;
}

export interface DeviceTable {
  source: string;
  lines: DeviceTableLine[];
}

/** Largest major and minor numbers of Linux' 32-bit dev_t (12 and 20 bits). */
const MAX_MAJOR = 2 ** 12 - 1;
const MAX_MINOR = 2 ** 20 - 1;
/** More nodes than this from one line is almost surely a typo (and would be a giant allocation). */
const MAX_COUNT = 65536;

/**
 * Parses a device table in genext2fs' format, one entry per line:
 * `name type mode uid gid major minor start inc count`, `#` starting a comment, `-` (or a missing
 * trailing field) meaning "not given". Types: d f c b p s. Mode is octal permission bits.
 */
export function parseDeviceTable(text: string, sourceName = 'device table'): DeviceTable {
  const lines: DeviceTableLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const lineNo = i + 1;
    const fields = raw.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0) return;
    const fail = (msg: string): never => {
      throw new DeviceTableError(sourceName, lineNo, msg);
    };
    if (fields.length < 3) fail(`expected "name type mode [uid gid major minor start inc count]", got "${raw.trim()}"`);
    if (fields.length > 10) fail(`too many fields (${fields.length}, at most 10)`);
    const [name, type, modeText] = fields as [string, string, string];
    const kind = KINDS[type];
    if (!kind) fail(`unknown type "${type}" for ${name} (one of d f c b p s)`);
    if (!/^[0-7]+$/.test(modeText)) fail(`mode "${modeText}" of ${name} is not an octal number`);
    const mode = Number.parseInt(modeText, 8);
    if (mode > 0o7777) fail(`mode ${modeText} of ${name} is more than permission bits (at most 7777)`);
    let path = '';
    try {
      path = normalizePath(name);
    } catch (e) {
      fail((e as Error).message);
    }
    if (path === '/' && kind !== 'dir') fail('the root can only be a directory');
    const num = (idx: number, what: string, max: number): number | undefined => {
      const f = fields[idx];
      if (f === undefined || f === '-') return undefined;
      if (!/^\d+$/.test(f)) fail(`${what} "${f}" of ${name} is not a decimal number`);
      const v = Number(f);
      if (v > max) fail(`${what} ${f} of ${name} is larger than ${max}`);
      return v;
    };
    const entry: DeviceTableLine = { source: sourceName, line: lineNo, path, kind: kind as EntryKind, mode };
    const set = <K extends keyof DeviceTableLine>(key: K, v: DeviceTableLine[K] | undefined) => {
      if (v !== undefined) entry[key] = v;
    };
    set('uid', num(3, 'uid', 2 ** 32 - 1));
    set('gid', num(4, 'gid', 2 ** 32 - 1));
    set('major', num(5, 'major', MAX_MAJOR));
    set('minor', num(6, 'minor', MAX_MINOR));
    set('start', num(7, 'start', MAX_MINOR));
    set('inc', num(8, 'inc', MAX_MINOR));
    set('count', num(9, 'count', MAX_MINOR));
    const n = (entry.count ?? 0) - (entry.start ?? 0);
    if (n > MAX_COUNT) fail(`count ${entry.count} - start ${entry.start ?? 0} makes more than ${MAX_COUNT} entries`);
    lines.push(entry);
  });
  return { source: sourceName, lines };
}

/** One node a table line stands for, after the count expansion. */
interface Expanded {
  line: DeviceTableLine;
  path: string;
  minor?: number;
}

/**
 * The paths a line creates. Like genext2fs: with a count, names `name<i>` for i from `start` up to
 * `count - 1`, minor `minor + i * inc - start` (so `tty c … 4 0 0 1 6` gives tty0..tty5 = 4:0..4:5).
 */
function expand(line: DeviceTableLine): Expanded[] {
  const count = line.count ?? 0;
  if (count === 0)
    return [line.minor === undefined ? { line, path: line.path } : { line, path: line.path, minor: line.minor }];
  const out: Expanded[] = [];
  const start = line.start ?? 0;
  const inc = line.inc ?? 1;
  for (let i = start; i < count; i++) {
    const minor = (line.minor ?? 0) + i * inc - start;
    if (minor < 0 || minor > MAX_MINOR) {
      throw new DeviceTableError(line.source, line.line, `minor number ${minor} of ${line.path}${i} is out of range`);
    }
    out.push({ line, path: line.path === '/' ? `/${i}` : `${line.path}${i}`, minor });
  }
  return out;
}

export interface ApplyDeviceTableOptions {
  /** mtime/atime/ctime of entries the table creates (genext2fs uses the table file's mtime). Default 0. */
  mtime?: number;
  /**
   * Parent directories a line needs but the tree lacks: 'create' them (0755 root:root; the default)
   * or treat them as an error naming the line. genext2fs skips such lines with a warning.
   */
  missingParents?: OverlayOptions['missingParents'];
}

/**
 * Applies a device table to a tree, streaming. A path already in the tree keeps its contents and
 * times and takes the table's mode, uid and gid (and device number, when given), as genext2fs does;
 * its kind must match the table's. A missing path is created (an empty file for `f`).
 * Lines apply in order, so a later line for the same path wins.
 */
export function applyDeviceTable(tree: SourceTree, table: DeviceTable, opts: ApplyDeviceTableOptions = {}): SourceTree {
  const t = opts.mtime ?? 0;
  const items: OverlayItem[] = table.lines.flatMap((line) =>
    expand(line).map(
      (x): OverlayItem => ({
        path: x.path,
        origin: `${line.source}:${line.line}`,
        apply(base) {
          const isDev = line.kind === 'char' || line.kind === 'block';
          if (base) {
            if (base.kind !== line.kind) {
              throw new DeviceTableError(
                line.source,
                line.line,
                `${x.path} is a ${base.kind} in the tree, not a ${line.kind}`,
              );
            }
            const e: Entry = { ...base, mode: line.mode, uid: line.uid ?? 0, gid: line.gid ?? 0 };
            if (isDev && (line.major !== undefined || x.minor !== undefined)) {
              e.rdev = { major: line.major ?? 0, minor: x.minor ?? 0 };
            }
            return e;
          }
          const e: Entry = {
            path: x.path,
            kind: line.kind,
            mode: line.mode,
            uid: line.uid ?? 0,
            gid: line.gid ?? 0,
            mtime: t,
            atime: t,
            ctime: t,
            size: 0,
          };
          if (isDev) e.rdev = { major: line.major ?? 0, minor: x.minor ?? 0 };
          if (line.kind === 'file') e.open = () => bytesSource(new Uint8Array(0));
          return e;
        },
      }),
    ),
  );
  const o: OverlayOptions = { parentTime: t };
  if (opts.missingParents) o.missingParents = opts.missingParents;
  return overlayTree(tree, items, o);
}
