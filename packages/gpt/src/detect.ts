/**
 * Which partition table a disk has, and its partitions in the common shape. The MBR and GPT code
 * loads only when sector 0 or a GPT signature asks for it: a bare filesystem image needs neither.
 */
import type { BlockDevice } from '@fstool/blockdev';
import type { PartitionInfo } from '@fstool/mbr';
import type { GptProblem } from './errors.js';
import { locateGpt } from './locate.js';

const mbrCode = () => import('@fstool/mbr');

export type PartitionTableKind = 'gpt' | 'mbr' | 'none';

const EXT_MAGIC_OFFSET = 1024 + 0x38;

/**
 * 'gpt' when a GPT header is found (primary or backup), 'mbr' when sector 0 holds a plausible
 * partition table, 'none' for a bare filesystem or an empty disk. FAT/NTFS boot sectors end in
 * 0x55AA like an MBR; their marks, or an ext superblock, make the answer 'none'.
 */
export async function detectPartitionTable(
  dev: BlockDevice,
  opts: { sectorSize?: number } = {},
): Promise<PartitionTableKind> {
  if (dev.size < 512) return 'none';
  const gpt = await locateGpt(dev);
  if (gpt?.at === 'primary') return 'gpt';
  const s0 = new Uint8Array(512);
  await dev.read(0, s0);
  // Only a backup header: a GPT with a damaged primary, unless sector 0 now holds a real MBR
  // (a disk repartitioned as MBR by a tool that left the old backup GPT behind).
  if (gpt) {
    const { decodeMbr, looksLikeMbr } = await mbrCode();
    const protective = () => decodeMbr(s0).entries.some((e) => e.typeId === 0xee);
    return looksLikeMbr(s0, dev.size, opts.sectorSize) && !protective() ? 'mbr' : 'gpt';
  }
  if (dev.size >= EXT_MAGIC_OFFSET + 2) {
    const m = new Uint8Array(2);
    await dev.read(EXT_MAGIC_OFFSET, m);
    if (m[0] === 0x53 && m[1] === 0xef) return 'none';
  }
  // An image cut short keeps its table: partitions may run past the end (each is marked truncated).
  const { looksLikeMbr } = await mbrCode();
  return looksLikeMbr(s0, dev.size, opts.sectorSize, { truncated: true }) ? 'mbr' : 'none';
}

/** A problem found while reading a table that is still usable: GPT damage, or an MBR's chain cut short. */
export type TableProblem = GptProblem | { structure: 'ebr-chain'; message: string };

export interface PartitionTableInfo {
  kind: PartitionTableKind;
  sectorSize: number;
  partitions: PartitionInfo[];
  /** Damage found while reading (the table is still usable). */
  warnings: TableProblem[];
  /** GPT disk GUID or MBR disk signature as `0xNNNNNNNN`. */
  id?: string;
}

/**
 * Detects and reads whichever table the disk has. GPT finds its sector size itself; an MBR's is
 * `sectorSize` when given (a block device knows it), else probed from the image (512 or 4096).
 */
export async function readPartitionTable(
  dev: BlockDevice,
  opts: { sectorSize?: number } = {},
): Promise<PartitionTableInfo> {
  const kind = await detectPartitionTable(dev, opts);
  if (kind === 'gpt') {
    const [{ readGpt }, { listGptPartitions }, { markTruncated }] = await Promise.all([
      import('./read.js'),
      import('./partition-list.js'),
      mbrCode(),
    ]);
    const r = await readGpt(dev, opts);
    return {
      kind,
      sectorSize: r.table.sectorSize,
      partitions: markTruncated(listGptPartitions(r.table), dev.size),
      warnings: r.warnings,
      id: r.table.diskGuid,
    };
  }
  if (kind === 'mbr') {
    const { listMbrPartitions, markTruncated, probeMbrSectorSize, readMbr } = await mbrCode();
    const warnings: TableProblem[] = [];
    const t = await readMbr(dev, {
      sectorSize: opts.sectorSize ?? (await probeMbrSectorSize(dev)),
      onTruncated: (message) => warnings.push({ structure: 'ebr-chain', message }),
    });
    return {
      kind,
      sectorSize: t.sectorSize,
      partitions: markTruncated(listMbrPartitions(t), dev.size),
      warnings,
      id: `0x${t.diskSignature.toString(16).padStart(8, '0')}`,
    };
  }
  return { kind, sectorSize: opts.sectorSize ?? 512, partitions: [], warnings: [] };
}
