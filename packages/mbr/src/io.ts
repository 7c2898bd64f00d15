/** Reading and writing an MBR (with its logical chain) on a device. */
import { type BlockDevice, CorruptError, OutOfRangeError } from '@fstool/blockdev';
import { decodeEbr, decodeMbr, encodeMbr, primaryPartitions } from './codec.js';
import { MBR_SIZE } from './format/mbr-sector.js';
import { buildMbr, type MbrPartition, type MbrSpec, type MbrTable } from './table.js';

/** Longest logical chain followed; real tables have a handful, a loop would have no end. */
const MAX_LOGICALS = 256;

export interface ReadMbrOptions {
  /** Logical sector size (default 512). */
  sectorSize?: number;
  /**
   * Told when the logical chain leads past the end of the disk (an image cut short): the chain
   * stops there instead of failing, and the logicals read so far are kept.
   */
  onTruncated?: (message: string) => void;
}

async function readSector(dev: BlockDevice, lba: number, sectorSize: number, what: string): Promise<Uint8Array> {
  const buf = new Uint8Array(MBR_SIZE);
  const offset = lba * sectorSize;
  if (offset + MBR_SIZE > dev.size) {
    throw new CorruptError(`${what} at sector ${lba} is past the end of the disk (${dev.size} bytes)`);
  }
  await dev.read(offset, buf);
  return buf;
}

/** Reads the MBR and follows the extended partition's EBR chain. Throws CorruptError on a bad table. */
export async function readMbr(dev: BlockDevice, opts: ReadMbrOptions = {}): Promise<MbrTable> {
  const sectorSize = opts.sectorSize ?? 512;
  if (dev.size < MBR_SIZE) throw new CorruptError(`MBR: the disk (${dev.size} bytes) is smaller than one sector`);
  const decoded = decodeMbr(await readSector(dev, 0, sectorSize, 'MBR'));
  const partitions = primaryPartitions(decoded);
  const extended = partitions.filter((p) => p.kind === 'extended');
  if (extended.length > 1) throw new CorruptError(`MBR: ${extended.length} extended partitions (at most one allowed)`);
  const ext = extended[0];
  if (ext) partitions.push(...(await readLogicals(dev, ext, sectorSize, opts.onTruncated)));
  const table: MbrTable = { sectorSize, diskSignature: decoded.diskSignature, partitions };
  if (decoded.bootCode.some((b) => b !== 0)) table.bootCode = decoded.bootCode;
  return table;
}

async function readLogicals(
  dev: BlockDevice,
  ext: MbrPartition,
  sectorSize: number,
  onTruncated?: (message: string) => void,
): Promise<MbrPartition[]> {
  const out: MbrPartition[] = [];
  const seen = new Set<number>();
  const extEnd = ext.firstLba + ext.sectors;
  let ebr: number | undefined = ext.firstLba;
  while (ebr !== undefined) {
    if (onTruncated && (ebr + 1) * sectorSize > dev.size) {
      onTruncated(
        `the disk is truncated: the EBR at sector ${ebr} is past its end; logical partitions from ${5 + out.length} on are unknown`,
      );
      break;
    }
    if (seen.has(ebr)) throw new CorruptError(`EBR chain loops back to sector ${ebr}`);
    if (out.length >= MAX_LOGICALS) throw new CorruptError(`EBR chain longer than ${MAX_LOGICALS} logical partitions`);
    seen.add(ebr);
    const buf = await readSector(dev, ebr, sectorSize, 'EBR');
    // An extended partition with no logicals may hold an all-zero first EBR.
    if (ebr === ext.firstLba && buf.every((b) => b === 0)) break;
    const { logical, next } = decodeEbr(buf, ebr);
    if (logical) {
      const p: MbrPartition = {
        index: 5 + out.length,
        kind: 'logical',
        typeId: logical.typeId,
        bootable: logical.bootable,
        firstLba: ebr + logical.firstLba,
        sectors: logical.sectors,
      };
      if (logical.firstLba === 0 || p.firstLba + p.sectors > extEnd) {
        throw new CorruptError(
          `EBR at sector ${ebr}: logical partition ${p.index} (sectors ${p.firstLba}+${p.sectors}) is not inside extended partition ${ext.index} (sectors ${ext.firstLba}-${extEnd - 1})`,
        );
      }
      out.push(p);
    }
    ebr = undefined;
    if (next) {
      const at: number = ext.firstLba + next.firstLba;
      if (next.firstLba === 0 || at >= extEnd) {
        throw new CorruptError(`EBR chain link to sector ${at} is outside extended partition ${ext.index}`);
      }
      ebr = at;
    }
  }
  return out;
}

/**
 * Validates `spec` against the device and writes the MBR and every EBR. Boot code already on
 * the disk is kept unless the spec gives its own.
 */
export async function writeMbr(dev: BlockDevice, spec: MbrSpec | MbrTable): Promise<MbrTable> {
  const table = buildMbr(isTable(spec) ? mbrTableToSpec(spec) : spec, dev.size);
  if (!table.bootCode && dev.size >= MBR_SIZE) {
    const old = new Uint8Array(440);
    await dev.read(0, old);
    if (old.some((b) => b !== 0)) table.bootCode = old;
  }
  for (const s of encodeMbr(table)) {
    const offset = s.lba * table.sectorSize;
    if (offset + s.bytes.length > dev.size) throw new OutOfRangeError(offset, s.bytes.length, dev.size, 'MBR write');
    await dev.write(offset, s.bytes);
  }
  await wipeStaleGpt(dev, table);
  return table;
}

/**
 * Zeroes GPT headers (primary at LBA 1, backup in the last sector, for 512- and 4096-byte sectors)
 * left outside every partition, as fdisk does: readers would otherwise still see a GPT here.
 */
async function wipeStaleGpt(dev: BlockDevice, table: MbrTable): Promise<void> {
  const sig = new Uint8Array(8);
  const inside = (off: number, len: number) =>
    table.partitions.some(
      (p) =>
        p.kind !== 'extended' &&
        off < (p.firstLba + p.sectors) * table.sectorSize &&
        p.firstLba * table.sectorSize < off + len,
    );
  for (const ss of [512, 4096]) {
    for (const off of [ss, (Math.floor(dev.size / ss) - 1) * ss]) {
      if (off < ss || off + ss > dev.size || inside(off, ss)) continue;
      await dev.read(off, sig);
      if (String.fromCharCode(...sig) === 'EFI PART') await dev.zero(off, ss);
    }
  }
}

function isTable(t: MbrSpec | MbrTable): t is MbrTable {
  return t.partitions.every((p) => 'kind' in p);
}

/** A table back to a spec (so a read table can be edited and written again). */
export function mbrTableToSpec(table: MbrTable): MbrSpec {
  const spec: MbrSpec = {
    sectorSize: table.sectorSize,
    diskSignature: table.diskSignature,
    partitions: table.partitions.map((p) => ({
      ...(p.kind === 'logical' ? { logical: true } : { index: p.index }),
      type: p.typeId,
      bootable: p.bootable,
      firstLba: p.firstLba,
      sectors: p.sectors,
    })),
  };
  if (table.bootCode) spec.bootCode = table.bootCode;
  return spec;
}
