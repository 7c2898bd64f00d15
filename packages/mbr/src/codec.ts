/** Pure encoding and decoding of MBR and EBR sectors (no I/O). */
import { CorruptError } from '@fstool/blockdev';
import { lbaToChs } from './chs.js';
import { BOOT_SIGNATURE, entryOffset, MBR_SIZE, type MbrEntry, mbrEntry, mbrSector } from './format/mbr-sector.js';
import { ebrPositions, type MbrPartition, type MbrTable } from './table.js';
import { EXTENDED_TYPES } from './types.js';

/** One sector to write: the MBR at LBA 0 or an EBR. Only the first 512 bytes of a sector are used. */
export interface MbrSector {
  lba: number;
  bytes: Uint8Array;
}

/** A raw entry as stored; `firstLba` is relative to what the table says (disk, extended start or EBR). */
export interface RawMbrEntry {
  slot: number;
  typeId: number;
  bootable: boolean;
  firstLba: number;
  sectors: number;
}

export interface DecodedMbr {
  diskSignature: number;
  bootCode: Uint8Array;
  /** Non-empty entries of the four slots. */
  entries: RawMbrEntry[];
}

const EBR_LINK_TYPE = 0x05;

/** Fills an entry; `absFirst` is the absolute LBA that the CHS fields describe. */
function putEntry(buf: Uint8Array, slot: number, e: RawMbrEntry, absFirst: number): void {
  const entry: MbrEntry = {
    status: e.bootable ? 0x80 : 0,
    chsFirst: lbaToChs(absFirst),
    type: e.typeId,
    chsLast: lbaToChs(absFirst + e.sectors - 1),
    firstLba: e.firstLba,
    sectors: e.sectors,
  };
  mbrEntry.encode(entry, buf, entryOffset(slot));
}

/** A 512-byte MBR-layout sector holding `entries` (absolute CHS computed from `chsBase + firstLba`). */
export function encodeMbrSector(
  entries: Array<RawMbrEntry & { chsBase?: number }>,
  head: { diskSignature?: number; bootCode?: Uint8Array } = {},
): Uint8Array {
  const buf = new Uint8Array(MBR_SIZE);
  mbrSector.patch(
    {
      signature: BOOT_SIGNATURE,
      diskSignature: head.diskSignature ?? 0,
      ...(head.bootCode ? { bootCode: head.bootCode } : {}),
    },
    buf,
  );
  for (const e of entries) putEntry(buf, e.slot, e, (e.chsBase ?? 0) + e.firstLba);
  return buf;
}

/** The sectors that hold `table`: the MBR, then one EBR per logical partition. */
export function encodeMbr(table: MbrTable): MbrSector[] {
  const top = table.partitions.filter((p) => p.kind !== 'logical');
  const mbr = encodeMbrSector(
    top.map((p) => ({ ...p, slot: p.index - 1 })),
    { diskSignature: table.diskSignature, ...(table.bootCode ? { bootCode: table.bootCode } : {}) },
  );
  const out: MbrSector[] = [{ lba: 0, bytes: mbr }];
  const ext = top.find((p) => p.kind === 'extended');
  if (!ext) return out;
  const logicals = table.partitions.filter((p) => p.kind === 'logical');
  const ebrs = ebrPositions(table);
  if (logicals.length === 0) {
    // An empty container still gets a signed, empty EBR so readers see a well-formed chain end.
    out.push({ lba: ext.firstLba, bytes: encodeMbrSector([]) });
    return out;
  }
  logicals.forEach((p, i) => {
    const ebr = ebrs[i] as number;
    const entries: Array<RawMbrEntry & { chsBase: number }> = [
      { slot: 0, typeId: p.typeId, bootable: p.bootable, firstLba: p.firstLba - ebr, sectors: p.sectors, chsBase: ebr },
    ];
    const next = logicals[i + 1];
    const nextEbr = ebrs[i + 1];
    if (next && nextEbr !== undefined) {
      const len = next.firstLba + next.sectors - nextEbr;
      entries.push({
        slot: 1,
        typeId: EBR_LINK_TYPE,
        bootable: false,
        firstLba: nextEbr - ext.firstLba,
        sectors: len,
        chsBase: ext.firstLba,
      });
    }
    out.push({ lba: ebr, bytes: encodeMbrSector(entries) });
  });
  return out;
}

function rawEntries(buf: Uint8Array): RawMbrEntry[] {
  const out: RawMbrEntry[] = [];
  for (let slot = 0; slot < 4; slot++) {
    const e = mbrEntry.decode(buf, entryOffset(slot));
    if (e.type === 0) continue;
    out.push({ slot, typeId: e.type, bootable: (e.status & 0x80) !== 0, firstLba: e.firstLba, sectors: e.sectors });
  }
  return out;
}

/** True when the sector ends with the 0x55AA boot signature. */
export function hasBootSignature(buf: Uint8Array): boolean {
  return buf.length >= MBR_SIZE && mbrSector.get(buf, 0, 'signature') === BOOT_SIGNATURE;
}

/** Decodes sector 0. Throws CorruptError when the 0x55AA signature is missing. */
export function decodeMbr(buf: Uint8Array): DecodedMbr {
  if (!hasBootSignature(buf)) throw new CorruptError('MBR: no 0x55AA boot signature at offset 510 of sector 0');
  const head = mbrSector.decode(buf);
  return { diskSignature: head.diskSignature, bootCode: head.bootCode, entries: rawEntries(buf) };
}

/** Decodes one EBR: its logical entry (slot 0) and its link to the next EBR (slot 1), both relative. */
export function decodeEbr(buf: Uint8Array, lba: number): { logical?: RawMbrEntry; next?: RawMbrEntry } {
  if (!hasBootSignature(buf)) throw new CorruptError(`EBR at sector ${lba}: no 0x55AA boot signature`);
  const out: { logical?: RawMbrEntry; next?: RawMbrEntry } = {};
  for (const e of rawEntries(buf)) {
    if (EXTENDED_TYPES.has(e.typeId)) out.next ??= e;
    else out.logical ??= e;
  }
  return out;
}

/** Primary partitions (and the extended container) from a decoded sector 0. */
export function primaryPartitions(decoded: DecodedMbr): MbrPartition[] {
  return decoded.entries.map((e) => ({
    index: e.slot + 1,
    kind: EXTENDED_TYPES.has(e.typeId) ? 'extended' : 'primary',
    typeId: e.typeId,
    bootable: e.bootable,
    firstLba: e.firstLba,
    sectors: e.sectors,
  }));
}
