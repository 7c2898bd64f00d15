import { describe } from './describe.js';
import { didYouMean } from './suggest.js';
import type { FeatureSet } from './types.js';

type Read<T> = T | { error: string };

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** A UUID (with or without dashes, any case) as lower-case `8-4-4-4-12`. */
export function readUuid(v: unknown): Read<string> {
  if (typeof v !== 'string' || !UUID_RE.test(v.trim())) {
    return { error: `must be a UUID like "0b9e3f5c-6a1d-4c2e-9f70-2d7f1c3a8e41", got ${describe(v)}` };
  }
  const hex = v.trim().replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A UUID, or `"random"` to ask for a fresh one on every build. */
export function readUuidOrRandom(v: unknown): Read<string> {
  if (typeof v === 'string' && v.trim().toLowerCase() === 'random') return 'random';
  const r = readUuid(v);
  return typeof r === 'string' ? r : { error: r.error.replace('must be a UUID', 'must be "random" or a UUID') };
}

/** Latest time an ext4 inode with extra timestamp bits can hold (year 2446). */
const MAX_MTIME = 2 ** 34 - 1;

/** Seconds since the epoch, or a TOML date / RFC 3339 string (local times count as UTC). */
export function readMtime(v: unknown): Read<number> {
  let seconds: number | undefined;
  if (typeof v === 'number' && Number.isInteger(v)) seconds = v;
  else if (v instanceof Date) {
    // A TOML local time (07:32:00) is a Date too; its ISO form has no date part.
    if (!/^\d{4}-/.test(v.toISOString())) return { error: `needs a date, got only a time of day (${v.toISOString()})` };
    seconds = Math.floor(v.getTime() / 1000);
  } else if (
    typeof v === 'string' &&
    /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/i.test(v)
  ) {
    // A zone-less string is read as UTC, like a TOML local date-time: builds must not depend on TZ.
    const zoned = /(Z|[+-]\d{2}:\d{2})$/i.test(v) || v.length === 10 ? v : `${v}Z`;
    const ms = Date.parse(zoned.replace(' ', 'T'));
    if (!Number.isNaN(ms)) seconds = Math.floor(ms / 1000);
  }
  if (seconds === undefined || Number.isNaN(seconds)) {
    return { error: `must be seconds since 1970 or a date like 2024-01-01T00:00:00Z, got ${describe(v)}` };
  }
  if (seconds < 0 || seconds > MAX_MTIME) {
    return { error: `must be from 1970-01-01 (0) to 2446-05-10 (${MAX_MTIME}), got ${seconds}` };
  }
  return seconds;
}

/** FAT volume serial: an integer (`0xDEADBEEF`) or 8 hex digits as a string (`"DEADBEEF"`, `"dead-beef"`). */
export function readVolumeId(v: unknown): Read<number> {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
  if (typeof v === 'string') {
    const m = /^(?:0x)?([0-9a-f]{4})-?([0-9a-f]{4})$/i.exec(v.trim());
    if (m !== null) return Number.parseInt(`${m[1]}${m[2]}`, 16);
  }
  return {
    error: `must be a 32-bit number (0xDEADBEEF) or 8 hex digits ("DEADBEEF" or "dead-beef"), got ${describe(v)}`,
  };
}

/** ext feature names as e2fsprogs spells them (lib/e2p/feature.c), with their aliases. */
const EXT_FEATURES = [
  'dir_prealloc',
  'imagic_inodes',
  'has_journal',
  'ext_attr',
  'resize_inode',
  'dir_index',
  'lazy_bg',
  'sparse_super2',
  'fast_commit',
  'stable_inodes',
  'orphan_file',
  'sparse_super',
  'large_file',
  'huge_file',
  'uninit_bg',
  'dir_nlink',
  'extra_isize',
  'quota',
  'bigalloc',
  'metadata_csum',
  'project',
  'verity',
  'filetype',
  'extent',
  'meta_bg',
  '64bit',
  'mmp',
  'flex_bg',
  'ea_inode',
  'metadata_csum_seed',
  'large_dir',
  'inline_data',
  'encrypt',
  'casefold',
];
const FEATURE_ALIASES: Record<string, string> = {
  extents: 'extent',
  gdt_csum: 'uninit_bg',
  fname_encoding: 'casefold',
};

/**
 * `features`: an array of names or one comma-separated string; as e2fsprogs reads `-O`, `^name`
 * or `-name` turns a feature off, `name` or `+name` on. Returns the set and one message per bad
 * item (each becomes its own issue).
 */
export function readFeatures(v: unknown): { set: FeatureSet; problems: string[] } {
  const set: FeatureSet = { enable: [], disable: [] };
  let items: unknown[];
  if (typeof v === 'string') items = v.split(',').map((s) => s.trim());
  else if (Array.isArray(v)) items = v;
  else
    return { set, problems: [`must be an array of names or a string like "^has_journal,extent", got ${describe(v)}`] };
  const problems: string[] = [];
  for (const item of items) {
    const raw =
      typeof item === 'string'
        ? item
            .trim()
            .replace(/^[\^+-]/, '')
            .toLowerCase()
        : '';
    if (raw === '') {
      problems.push(`must list feature names, got ${describe(item)}`);
      continue;
    }
    const name = FEATURE_ALIASES[raw] ?? raw;
    if (!EXT_FEATURES.includes(name)) {
      problems.push(`names an unknown feature "${raw}"${didYouMean(raw, EXT_FEATURES)}`);
      continue;
    }
    const off = /^[\^-]/.test((item as string).trim());
    const [mine, other] = off ? [set.disable, set.enable] : [set.enable, set.disable];
    if (other.includes(name)) problems.push(`turns "${name}" both on and off`);
    else if (!mine.includes(name)) mine.push(name);
  }
  return { set, problems };
}
