/** Pure encoding and decoding of GPT headers and entry arrays (no I/O). */
import { encodeMbrSector } from '@fstool/mbr';
import { crc32 } from './crc.js';
import { arraySectors, ENTRY_SIZE, gptEntry, MAX_ENTRY_ARRAY_BYTES, NAME_UNITS } from './format/entry.js';
import { GPT_REVISION, GPT_SIGNATURE, type GptHeader, gptHeader, HEADER_SIZE } from './format/header.js';
import { bytesToGuid, guidToBytes } from './guid.js';
import type { GptPartition, GptTable } from './table.js';

/** Bytes to write at a byte offset. */
export interface GptWrite {
  offset: number;
  bytes: Uint8Array;
}

const TWO32 = 2n ** 32n;

function encodeName(name: string): Uint8Array {
  const out = new Uint8Array(NAME_UNITS * 2);
  for (let i = 0; i < name.length && i < NAME_UNITS; i++) {
    const u = name.charCodeAt(i);
    out[2 * i] = u & 0xff;
    out[2 * i + 1] = u >> 8;
  }
  return out;
}

function decodeName(b: Uint8Array): string {
  const units: number[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) {
    const u = b[i]! | (b[i + 1]! << 8);
    if (u === 0) break;
    units.push(u);
  }
  return String.fromCharCode(...units);
}

/** The entry array (entryCount × entrySize bytes) for a table. */
export function encodeEntries(table: GptTable): Uint8Array {
  const buf = new Uint8Array(table.entryCount * table.entrySize);
  for (const p of table.partitions) {
    gptEntry.encode(
      {
        typeGuid: guidToBytes(p.typeGuid),
        uniqueGuid: guidToBytes(p.guid),
        firstLba: p.firstLba,
        lastLba: p.firstLba + p.sectors - 1,
        attributesLow: Number(p.attributes % TWO32),
        attributesHigh: Number(p.attributes / TWO32),
        name: encodeName(p.name),
      },
      buf,
      (p.index - 1) * table.entrySize,
    );
  }
  return buf;
}

/** The used entries of an array. Throws CorruptError (from the codec) on out-of-range LBAs. */
export function decodeEntries(buf: Uint8Array, entryCount: number, entrySize: number): GptPartition[] {
  const out: GptPartition[] = [];
  for (let i = 0; i < entryCount; i++) {
    const at = i * entrySize;
    if (buf.subarray(at, at + 16).every((b) => b === 0)) continue;
    const e = gptEntry.decode(buf, at);
    out.push({
      index: i + 1,
      typeGuid: bytesToGuid(e.typeGuid),
      guid: bytesToGuid(e.uniqueGuid),
      firstLba: e.firstLba,
      sectors: e.lastLba - e.firstLba + 1,
      attributes: BigInt(e.attributesHigh) * TWO32 + BigInt(e.attributesLow),
      name: decodeName(e.name),
    });
  }
  return out;
}

/** One header sector (sector-size bytes, header CRC filled in). */
export function encodeHeader(
  table: GptTable,
  at: { myLba: number; alternateLba: number; entriesLba: number },
  entriesCrc32: number,
): Uint8Array {
  const buf = new Uint8Array(table.sectorSize);
  const header: GptHeader = {
    signature: GPT_SIGNATURE,
    revision: GPT_REVISION,
    headerSize: HEADER_SIZE,
    headerCrc32: 0,
    reserved: 0,
    ...at,
    firstUsableLba: table.firstUsableLba,
    lastUsableLba: table.lastUsableLba,
    diskGuid: guidToBytes(table.diskGuid),
    entryCount: table.entryCount,
    entrySize: table.entrySize,
    entriesCrc32,
  };
  gptHeader.encode(header, buf);
  gptHeader.set(buf, 0, 'headerCrc32', crc32(buf.subarray(0, HEADER_SIZE)));
  return buf;
}

/** The protective MBR: one 0xEE entry from LBA 1 over the whole disk (capped at 2^32-1 sectors). */
export function encodeProtectiveMbr(diskSectors: number, bootCode?: Uint8Array): Uint8Array {
  return encodeMbrSector(
    [{ slot: 0, typeId: 0xee, bootable: false, firstLba: 1, sectors: Math.min(diskSectors - 1, 0xffffffff) }],
    bootCode ? { bootCode } : {},
  );
}

/**
 * Everything a GPT disk of `diskSize` bytes needs: protective MBR, primary header and array at
 * LBA 1 and 2, backup array right after the last usable LBA, backup header in the last sector.
 */
export function encodeGpt(table: GptTable, diskSize: number, bootCode?: Uint8Array): GptWrite[] {
  const ss = table.sectorSize;
  const lastLba = Math.floor(diskSize / ss) - 1;
  const entries = encodeEntries(table);
  const entriesCrc = crc32(entries);
  const backupArrayLba = lastLba - arraySectors(table.entryCount, table.entrySize, ss);
  return [
    { offset: 0, bytes: encodeProtectiveMbr(lastLba + 1, bootCode) },
    { offset: ss, bytes: encodeHeader(table, { myLba: 1, alternateLba: lastLba, entriesLba: 2 }, entriesCrc) },
    { offset: 2 * ss, bytes: entries },
    { offset: backupArrayLba * ss, bytes: entries },
    {
      offset: lastLba * ss,
      bytes: encodeHeader(table, { myLba: lastLba, alternateLba: 1, entriesLba: backupArrayLba }, entriesCrc),
    },
  ];
}

/**
 * Checks a header sector read at `lba`; returns the header or why it is unusable. The checks
 * bound everything later allocations depend on (entry size and count, array position). The
 * primary's usable range may run past the end of a disk cut short (readGpt reports it): its
 * partitions inside the disk are still readable.
 */
export function checkHeader(
  sector: Uint8Array,
  lba: number,
  diskSectors: number,
): { header: GptHeader } | { problem: string } {
  const sig = sector.subarray(0, 8);
  if (!sig.every((b, i) => b === GPT_SIGNATURE[i])) return { problem: `no "EFI PART" signature at LBA ${lba}` };
  const size = gptHeader.get(sector, 0, 'headerSize');
  if (size < HEADER_SIZE || size > sector.length) {
    return { problem: `header size ${size} at LBA ${lba} is not ${HEADER_SIZE}-${sector.length}` };
  }
  const copy = sector.slice(0, size);
  gptHeader.set(copy, 0, 'headerCrc32', 0);
  const stored = gptHeader.get(sector, 0, 'headerCrc32');
  const actual = crc32(copy);
  if (stored !== actual) {
    return { problem: `header CRC mismatch at LBA ${lba} (stored 0x${hex(stored)}, computed 0x${hex(actual)})` };
  }
  let h: GptHeader;
  try {
    h = gptHeader.decode(sector);
  } catch (e) {
    return { problem: `header at LBA ${lba}: ${(e as Error).message}` };
  }
  if (h.revision >>> 16 !== 1) return { problem: `header at LBA ${lba} has revision 0x${hex(h.revision)}, not 1.x` };
  if (h.myLba !== lba) return { problem: `header at LBA ${lba} says it is at LBA ${h.myLba}` };
  if (h.entrySize < ENTRY_SIZE || h.entrySize % ENTRY_SIZE !== 0 || (h.entrySize & (h.entrySize - 1)) !== 0) {
    return { problem: `entry size ${h.entrySize} at LBA ${lba} is not 128 × 2^n` };
  }
  const bytes = h.entryCount * h.entrySize;
  if (h.entryCount < 1 || bytes > MAX_ENTRY_ARRAY_BYTES) {
    return { problem: `entry array of ${h.entryCount} × ${h.entrySize} bytes (LBA ${lba}) is empty or over 1 MiB` };
  }
  const arr = Math.ceil(bytes / sector.length);
  if (h.entriesLba < 2 || h.entriesLba + arr > diskSectors) {
    return { problem: `entry array at LBA ${h.entriesLba} (header at LBA ${lba}) is outside the disk` };
  }
  if (h.firstUsableLba > h.lastUsableLba + 1 || (h.lastUsableLba >= diskSectors && lba !== 1)) {
    return {
      problem: `usable range ${h.firstUsableLba}-${h.lastUsableLba} (header at LBA ${lba}) does not fit the disk`,
    };
  }
  const arrayEnd = h.entriesLba + arr - 1;
  if (!(arrayEnd < h.firstUsableLba || h.entriesLba > h.lastUsableLba)) {
    return { problem: `entry array at LBA ${h.entriesLba}-${arrayEnd} overlaps the usable range` };
  }
  return { header: h };
}

export const hex = (n: number) => n.toString(16).padStart(8, '0');
