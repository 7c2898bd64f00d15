/** Writing, repairing and relocating a GPT on a device. */
import type { BlockDevice } from '@fstool/blockdev';
import { PartitionTableError } from '@fstool/mbr';
import { encodeGpt } from './codec.js';
import { readGpt } from './read.js';
import { buildGpt, type GptSpec, type GptTable, gptUsableRange, validateGpt } from './table.js';

/** Boot code already in sector 0 (kept like sgdisk does), if any. */
async function existingBootCode(dev: BlockDevice): Promise<Uint8Array | undefined> {
  const code = new Uint8Array(440);
  await dev.read(0, code);
  return code.some((b) => b !== 0) ? code : undefined;
}

/** Writes a validated table: protective MBR, primary and backup headers and arrays. */
export async function writeGptTable(dev: BlockDevice, table: GptTable): Promise<void> {
  validateGpt(table);
  const max = gptUsableRange(dev.size, table.sectorSize, table.entryCount, table.entrySize);
  if (table.firstUsableLba < max.firstUsableLba || table.lastUsableLba > max.lastUsableLba) {
    throw new PartitionTableError(
      `GPT usable range ${table.firstUsableLba}-${table.lastUsableLba} does not fit this disk (at most ${max.firstUsableLba}-${max.lastUsableLba})`,
    );
  }
  for (const w of encodeGpt(table, dev.size, await existingBootCode(dev))) await dev.write(w.offset, w.bytes);
}

/** Builds a table from `spec` for this device (GUIDs from the seed or random) and writes it. */
export async function writeGpt(dev: BlockDevice, spec: GptSpec): Promise<GptTable> {
  const table = buildGpt(spec, dev.size);
  await writeGptTable(dev, table);
  return table;
}

/**
 * Rewrites both copies from the good one (after `readGpt` reported damage). Returns what was
 * repaired; an empty list means nothing was wrong.
 */
export async function repairGpt(dev: BlockDevice, opts: { sectorSize?: number } = {}): Promise<string[]> {
  const r = await readGpt(dev, opts);
  if (r.warnings.length === 0) return [];
  const table = { ...r.table };
  // A backup that moved to the end keeps the old last usable LBA unless the disk shrank below it.
  table.lastUsableLba = Math.min(
    table.lastUsableLba,
    gptUsableRange(dev.size, table.sectorSize, table.entryCount, table.entrySize).lastUsableLba,
  );
  await writeGptTable(dev, table);
  return r.warnings.map((w) => `${w.structure}: ${w.message}`);
}

/**
 * After the image grew: moves the backup array and header to the new end and extends the last
 * usable LBA to match (what `sgdisk -e` does). Returns the new table.
 */
export async function moveBackupToEnd(dev: BlockDevice, opts: { sectorSize?: number } = {}): Promise<GptTable> {
  const { table } = await readGpt(dev, opts);
  const next = {
    ...table,
    lastUsableLba: gptUsableRange(dev.size, table.sectorSize, table.entryCount, table.entrySize).lastUsableLba,
  };
  await writeGptTable(dev, next);
  return next;
}
