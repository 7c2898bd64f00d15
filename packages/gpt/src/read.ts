/** Reading a GPT: both copies checked, the backup used when the primary is damaged. */
import { type BlockDevice, CorruptError } from '@fstool/blockdev';
import { decodeMbr } from '@fstool/mbr';
import { checkHeader, decodeEntries, hex } from './codec.js';
import { crc32 } from './crc.js';
import { GptCorruptError, type GptProblem, type GptStructure } from './errors.js';
import type { GptHeader } from './format/header.js';
import { bytesToGuid } from './guid.js';
import { findGptSectorSize } from './locate.js';
import type { GptTable } from './table.js';

export interface ReadGptOptions {
  /** Logical sector size; default: found by looking for a header at 512 and then 4096. */
  sectorSize?: number;
  /** Throw GptCorruptError on any damage instead of reporting it in `warnings`. */
  strict?: boolean;
}

export interface GptReadResult {
  table: GptTable;
  /** Where the table was read from. */
  source: 'primary' | 'backup';
  /** Every problem found; the table is still usable. */
  warnings: GptProblem[];
  /** LBA of the backup header found (or of the last sector when none was). */
  backupLba: number;
  /** True when the backup header is not in the last sector (the disk grew). */
  backupMisplaced: boolean;
}

interface Copy {
  header?: GptHeader;
  entries?: Uint8Array;
}

async function readSectors(dev: BlockDevice, lba: number, count: number, ss: number): Promise<Uint8Array> {
  const buf = new Uint8Array(count * ss);
  await dev.read(lba * ss, buf);
  return buf;
}

/** Reads one header and its array, recording what is wrong with them. */
async function readCopy(
  dev: BlockDevice,
  lba: number,
  ss: number,
  which: 'primary' | 'backup',
  problems: GptProblem[],
): Promise<Copy> {
  const diskSectors = Math.floor(dev.size / ss);
  const headerStructure: GptStructure = `${which}-header`;
  if (lba < 1 || lba >= diskSectors) {
    problems.push({ structure: headerStructure, message: `LBA ${lba} is outside the disk` });
    return {};
  }
  const checked = checkHeader(await readSectors(dev, lba, 1, ss), lba, diskSectors);
  if ('problem' in checked) {
    problems.push({ structure: headerStructure, message: checked.problem });
    return {};
  }
  const h = checked.header;
  const arr = await readSectors(dev, h.entriesLba, Math.ceil((h.entryCount * h.entrySize) / ss), ss);
  const entries = arr.subarray(0, h.entryCount * h.entrySize);
  const crc = crc32(entries);
  if (crc !== h.entriesCrc32) {
    problems.push({
      structure: `${which}-entries`,
      message: `entry array CRC mismatch at LBA ${h.entriesLba} (header says 0x${hex(h.entriesCrc32)}, computed 0x${hex(crc)})`,
    });
    return { header: h };
  }
  return { header: h, entries };
}

/**
 * Reads the GPT. A damaged primary (or backup) is reported in `warnings` and the other copy is
 * used; when both are unusable, throws GptCorruptError naming each structure and what is wrong.
 */
export async function readGpt(dev: BlockDevice, opts: ReadGptOptions = {}): Promise<GptReadResult> {
  const ss = opts.sectorSize ?? (await findGptSectorSize(dev));
  if (ss === undefined) throw new CorruptError('GPT: no "EFI PART" header at LBA 1 or in the last sector');
  const diskSectors = Math.floor(dev.size / ss);
  if (diskSectors < 3) throw new CorruptError(`GPT: the disk (${dev.size} bytes) is too small`);
  const problems: GptProblem[] = [];
  const primary = await readCopy(dev, 1, ss, 'primary', problems);
  const lastLba = diskSectors - 1;
  // The primary places its backup (and usable range) past the end: the disk was cut short, the
  // backup is gone with the tail; the partitions inside the disk are still there.
  const truncated = primary.header !== undefined && primary.header.alternateLba > lastLba;
  if (truncated) {
    problems.push({
      structure: 'backup-header',
      message: `the disk is truncated: it ends at LBA ${lastLba}, the primary header puts the backup at LBA ${primary.header?.alternateLba}`,
    });
  }
  let backupLba = truncated ? lastLba : (primary.header?.alternateLba ?? lastLba);
  let backupProblems: GptProblem[] = [];
  let backup: Copy = truncated ? {} : await readCopy(dev, backupLba, ss, 'backup', backupProblems);
  if (!backup.header && backupLba !== lastLba) {
    // The primary may point at a stale location; the last sector is the usual place.
    const retry: GptProblem[] = [];
    const atEnd = await readCopy(dev, lastLba, ss, 'backup', retry);
    if (atEnd.header) {
      backup = atEnd;
      backupLba = lastLba;
      backupProblems = retry;
    }
  }
  problems.push(...backupProblems);
  const usable = (c: Copy) => c.header && c.entries;
  const chosen = usable(primary) ? primary : usable(backup) ? backup : undefined;
  if (!chosen?.header || !chosen.entries) throw new GptCorruptError(problems);
  const source = chosen === primary ? 'primary' : 'backup';
  if (source === 'backup') {
    problems.push({
      structure: primary.header ? 'primary-entries' : 'primary-header',
      message: 'primary GPT is damaged; the table was read from the backup (repair rewrites the primary)',
    });
  }
  const backupMisplaced = backupLba !== lastLba;
  if (backup.header && backupMisplaced) {
    problems.push({
      structure: 'backup-header',
      message: `backup header is at LBA ${backupLba}, not in the last sector ${lastLba} (the disk grew; moveBackupToEnd fixes it)`,
    });
  }
  if (primary.header && backup.header) compareCopies(primary.header, backup.header, problems);
  await checkProtectiveMbr(dev, problems);
  const h = chosen.header;
  const table: GptTable = {
    sectorSize: ss,
    diskGuid: bytesToGuid(h.diskGuid),
    firstUsableLba: h.firstUsableLba,
    lastUsableLba: h.lastUsableLba,
    entryCount: h.entryCount,
    entrySize: h.entrySize,
    partitions: decodeEntries(chosen.entries, h.entryCount, h.entrySize),
  };
  for (const p of table.partitions) {
    if (p.sectors < 1 || p.firstLba < h.firstUsableLba || p.firstLba + p.sectors - 1 > h.lastUsableLba) {
      problems.push({
        structure: `${source}-entries`,
        message: `partition ${p.index} (LBA ${p.firstLba}-${p.firstLba + p.sectors - 1}) is outside the usable range ${h.firstUsableLba}-${h.lastUsableLba}`,
      });
    }
  }
  if (opts.strict && problems.length > 0) throw new GptCorruptError(problems);
  return { table, source, warnings: problems, backupLba, backupMisplaced };
}

function compareCopies(p: GptHeader, b: GptHeader, problems: GptProblem[]): void {
  const same =
    p.alternateLba === b.myLba &&
    b.alternateLba === p.myLba &&
    p.firstUsableLba === b.firstUsableLba &&
    p.lastUsableLba === b.lastUsableLba &&
    p.entryCount === b.entryCount &&
    p.entrySize === b.entrySize &&
    p.entriesCrc32 === b.entriesCrc32 &&
    p.diskGuid.every((x, i) => x === b.diskGuid[i]);
  if (!same) problems.push({ structure: 'backup-header', message: 'primary and backup headers disagree' });
}

async function checkProtectiveMbr(dev: BlockDevice, problems: GptProblem[]): Promise<void> {
  const s = new Uint8Array(512);
  await dev.read(0, s);
  try {
    if (decodeMbr(s).entries.some((e) => e.typeId === 0xee)) return;
    problems.push({ structure: 'protective-mbr', message: 'sector 0 has no 0xEE protective entry' });
  } catch {
    problems.push({ structure: 'protective-mbr', message: 'sector 0 has no MBR signature' });
  }
}
