import { formatSize } from '@fstool/blockdev';
import { describe } from './describe.js';
import { readFilesystem } from './filesystem.js';
import { isTable, type RawIssue, TableReader } from './reader.js';
import type { DiskSpec, PartitionSpec } from './types.js';
import { readUuid } from './values.js';

const IMAGE_KEYS = ['size', 'partition_table', 'alignment', 'sector_size', 'disk_guid', 'seed'];
const PARTITION_KEYS = ['name', 'type', 'size', 'guid', 'bootable', 'attributes', 'filesystem'];

export const NO_PARTITIONS = 'a disk needs at least one [[partitions]] entry';

/** MBR holds four primary partitions; extended/logical partitions are not modelled. */
const MAX_PARTITIONS = { mbr: 4, gpt: 128 } as const;

export function readImage(t: TableReader): DiskSpec | undefined {
  t.require('size', 'a size like "1GiB", or "auto"');
  t.require('partition_table', '"mbr" or "gpt"');
  const size = t.size('size', ['auto']);
  const partitionTable = t.oneOf('partition_table', ['mbr', 'gpt'] as const);
  const sectorSize = t.oneOf('sector_size', [512, 4096] as const) ?? 512;
  let alignment = t.size('alignment') ?? 2 ** 20;
  if (alignment === 0 || alignment % sectorSize !== 0) {
    t.fail('alignment', `must be a non-zero multiple of the ${sectorSize}-byte sector, got ${formatSize(alignment)}`);
    alignment = 2 ** 20;
  }
  if (typeof size === 'number' && (size === 0 || size % sectorSize !== 0)) {
    t.fail('size', `must be a non-zero multiple of the ${sectorSize}-byte sector, got ${formatSize(size)}`);
  }
  // MBR entries hold 32-bit sector numbers.
  const mbrLimit = 2 ** 32 * sectorSize;
  if (partitionTable === 'mbr' && typeof size === 'number' && size > mbrLimit) {
    t.fail(
      'size',
      `must be at most ${formatSize(mbrLimit)} on mbr with ${sectorSize}-byte sectors (use gpt), got ${formatSize(size)}`,
    );
  }
  const diskGuid = t.value('disk_guid', readUuid);
  if (diskGuid !== undefined && partitionTable === 'mbr') t.fail('disk_guid', 'is for GPT disks only');
  const seed = t.value('seed', (v) =>
    (typeof v === 'string' && v !== '') || typeof v === 'number'
      ? String(v)
      : { error: `must be a non-empty string or a number, got ${describe(v)}` },
  );
  t.finish(IMAGE_KEYS);
  if (size === undefined || partitionTable === undefined) return undefined;
  const image: DiskSpec = { size, partitionTable, alignment, sectorSize };
  if (diskGuid !== undefined) image.diskGuid = diskGuid;
  if (seed !== undefined) image.seed = seed;
  return image;
}

function readPartitionType(
  v: unknown,
  table: DiskSpec['partitionTable'] | undefined,
): string | number | { error: string } {
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'number' && Number.isInteger(v)) {
    if (table === 'gpt') return { error: `must be a string (an alias or a type GUID) on GPT, got ${v}` };
    if (v >= 1 && v <= 0xff) return v;
    return { error: `must be an MBR type byte from 0x01 to 0xff, got ${v}` };
  }
  return { error: `must be an alias like "linux", a type GUID or an MBR type byte, got ${describe(v)}` };
}

function readAttributes(v: unknown): (number | string)[] | { error: string } {
  const list = Array.isArray(v) ? v : [v];
  for (const a of list) {
    const ok =
      (typeof a === 'number' && Number.isInteger(a) && a >= 0 && a <= 63) || (typeof a === 'string' && a !== '');
    if (!ok) return { error: `must be a list of bit numbers 0 to 63 or attribute names, got ${describe(a)}` };
  }
  return list as (number | string)[];
}

function readPartition(
  t: TableReader,
  image: DiskSpec | undefined,
  table: DiskSpec['partitionTable'] | undefined,
  plugins: boolean,
): PartitionSpec | undefined {
  t.require('type', 'an alias like "linux" or "esp", a type GUID, or an MBR type byte');
  const name = t.string('name');
  if (name !== undefined && table === 'gpt' && name.length > 36) {
    t.fail('name', `must be at most 36 UTF-16 characters on GPT, got ${name.length}`);
  }
  const type = t.value('type', (v) => readPartitionType(v, table));
  const fsTable = t.sub('filesystem');
  const filesystem = fsTable === undefined ? undefined : readFilesystem(fsTable, false, plugins);
  // Without a size a partition fits its filesystem; without either there is nothing to size it by.
  if (fsTable === undefined) t.require('size', 'a size like "256MiB", or "remaining"');
  const size = t.size('size', ['auto', 'remaining']);
  if (size === 'auto' && fsTable === undefined) t.fail('size', 'cannot be "auto" without a filesystem to fit');
  const sectorSize = image?.sectorSize ?? 512;
  if (typeof size === 'number' && (size === 0 || size % sectorSize !== 0)) {
    t.fail('size', `must be a non-zero multiple of the ${sectorSize}-byte sector, got ${formatSize(size)}`);
  }
  const guid = t.value('guid', readUuid);
  if (guid !== undefined && table === 'mbr') t.fail('guid', 'is for GPT partitions only');
  const bootable = t.bool('bootable') ?? false;
  const attributes = t.value('attributes', readAttributes) ?? [];
  if (t.has('attributes') && table === 'mbr') t.fail('attributes', 'are for GPT partitions only');
  t.finish(PARTITION_KEYS);
  if (type === undefined) return undefined;
  const p: PartitionSpec = { type, size: size ?? 'auto', bootable, attributes };
  if (name !== undefined) p.name = name;
  if (guid !== undefined) p.guid = guid;
  if (filesystem !== undefined) p.filesystem = filesystem;
  return p;
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

/**
 * The least disk the fixed-size partitions fit in: each starts on an alignment boundary after the table
 * (GPT: protective MBR, header and 16 KiB of entries), and GPT keeps a backup copy at the end.
 * Partitions sized `auto`/`remaining` count as empty here; the facade plans them exactly.
 */
function minimumDiskSize(image: DiskSpec, table: DiskSpec['partitionTable'], parts: (PartitionSpec | undefined)[]) {
  const sector = image.sectorSize;
  const entries = 16384;
  let end = table === 'gpt' ? 2 * sector + entries : sector;
  for (const p of parts) {
    const size = typeof p?.size === 'number' ? p.size : 0;
    end = roundUp(end, image.alignment) + size;
  }
  return end + (table === 'gpt' ? entries + sector : 0);
}

/** Reads `[[partitions]]` and checks the rules that span partitions and the disk. */
export function readPartitions(
  issues: RawIssue[],
  value: unknown,
  image: DiskSpec | undefined,
  table: DiskSpec['partitionTable'] | undefined,
  plugins: boolean,
): PartitionSpec[] {
  if (!Array.isArray(value) || value.some((p) => !isTable(p))) {
    issues.push({ path: ['partitions'], message: 'partitions must be an array of tables ([[partitions]])' });
    return [];
  }
  if (value.length === 0) {
    issues.push({ path: ['partitions'], message: NO_PARTITIONS });
    return [];
  }
  const parts = (value as Record<string, unknown>[]).map((p, i) =>
    readPartition(new TableReader(issues, ['partitions', i], p), image, table, plugins),
  );
  if (table !== undefined && value.length > MAX_PARTITIONS[table]) {
    const why = table === 'mbr' ? ' (logical partitions are not supported; use gpt)' : '';
    issues.push({
      path: ['partitions'],
      message: `${table} holds at most ${MAX_PARTITIONS[table]} partitions${why}, got ${value.length}`,
    });
  }
  const names = new Map<string, number>();
  parts.forEach((p, i) => {
    if (p === undefined) return;
    if (p.name !== undefined) {
      const first = names.get(p.name);
      if (first !== undefined) {
        issues.push({
          path: ['partitions', i, 'name'],
          message: `name "${p.name}" is already used by partitions[${first}]`,
        });
      } else names.set(p.name, i);
    }
    if (p.size === 'remaining' && i !== value.length - 1) {
      issues.push({
        path: ['partitions', i, 'size'],
        message: `size "remaining" is only allowed on the last partition (this is ${i + 1} of ${value.length})`,
      });
    }
    if (p.size === 'remaining' && image?.size === 'auto') {
      issues.push({
        path: ['partitions', i, 'size'],
        message: 'size "remaining" needs a fixed [image] size (with size = "auto" there is nothing left to fill)',
      });
    }
  });
  if (typeof image?.size === 'number' && table !== undefined) {
    const needed = minimumDiskSize(image, table, parts);
    if (needed > image.size) {
      issues.push({
        path: ['image', 'size'],
        message:
          `size ${formatSize(image.size)} is too small: the partitions need at least ${formatSize(needed)}, ` +
          `with ${formatSize(image.alignment)} alignment${table === 'gpt' ? ' and GPT headers' : ''}`,
      });
    }
  }
  return parts.filter((p): p is PartitionSpec => p !== undefined);
}
