/**
 * Disk layout planning shared by MBR and GPT: sizes in bytes (or "the rest") to exact, aligned
 * LBAs. Pure: no I/O, no table format knowledge beyond the usable range the caller passes.
 */
import { formatSize, InvalidArgumentError } from '@fstool/blockdev';
import { LayoutError } from './errors.js';

export interface LayoutPartition {
  /** Used in error messages. */
  name?: string;
  /** Bytes (rounded up to whole sectors), or `'remaining'` for what the others leave (one at most). */
  size: number | 'remaining';
  /** Fixed start in bytes (a sector multiple); only for partitions before a `'remaining'` one. */
  start?: number;
  /** Sectors that must stay free right before the start (1 for an MBR logical's EBR). */
  reserveBefore?: number;
}

export interface LayoutRequest {
  diskSize: number;
  sectorSize?: number;
  /** Start alignment in bytes (default 1 MiB; a multiple of the sector size). */
  alignment?: number;
  /** First sector partitions may use (default 1: sector 0 holds the MBR). GPT passes its header's. */
  firstUsableLba?: number;
  /** Last sector partitions may use (default the disk's last sector). GPT passes its header's. */
  lastUsableLba?: number;
  partitions: LayoutPartition[];
}

export interface PlannedPartition {
  /** 1-based position in the request. */
  index: number;
  name?: string;
  firstLba: number;
  lastLba: number;
  sectors: number;
  /** Bytes. */
  start: number;
  size: number;
}

const MiB = 2 ** 20;

/** Plans exact LBAs. Throws LayoutError naming the partition and the shortfall in bytes. */
export function planLayout(req: LayoutRequest): PlannedPartition[] {
  const ss = req.sectorSize ?? 512;
  const alignment = req.alignment ?? MiB;
  if (!Number.isInteger(ss) || ss < 512 || (ss & (ss - 1)) !== 0) {
    throw new InvalidArgumentError(`sector size ${ss} is not a power of two of at least 512`);
  }
  if (!Number.isSafeInteger(alignment) || alignment < 1 || (alignment > ss && alignment % ss !== 0)) {
    throw new InvalidArgumentError(`alignment ${alignment} is not a multiple of the ${ss}-byte sector size`);
  }
  const align = Math.max(1, alignment / ss);
  const diskSectors = Math.floor(req.diskSize / ss);
  const first = req.firstUsableLba ?? 1;
  const last = req.lastUsableLba ?? diskSectors - 1;
  if (last >= diskSectors || first > last) {
    throw new InvalidArgumentError(`usable sectors ${first}-${last} do not fit a disk of ${diskSectors} sectors`);
  }
  const rest = req.partitions.flatMap((p, i) => (p.size === 'remaining' ? [i] : []));
  if (rest.length > 1) {
    throw new InvalidArgumentError(
      `only one partition may take the remaining space (${rest.map(nameOf(req)).join(', ')})`,
    );
  }
  const restAt = rest[0] ?? req.partitions.length;
  const sectorsOf = (i: number) => {
    const p = req.partitions[i] as LayoutPartition;
    const size = p.size as number;
    if (!Number.isSafeInteger(size) || size <= 0) {
      throw new InvalidArgumentError(`${nameOf(req)(i)}: size ${size} is not a positive whole number of bytes`);
    }
    return Math.ceil(size / ss);
  };
  const reserve = (i: number) => req.partitions[i]?.reserveBefore ?? 0;
  const out: PlannedPartition[] = [];
  const place = (i: number, firstLba: number, sectors: number) => {
    const p = req.partitions[i] as LayoutPartition;
    const planned: PlannedPartition = {
      index: i + 1,
      firstLba,
      lastLba: firstLba + sectors - 1,
      sectors,
      start: firstLba * ss,
      size: sectors * ss,
    };
    if (p.name !== undefined) planned.name = p.name;
    out[i] = planned;
  };

  // Forward: every partition before the 'remaining' one, in order.
  let cursor = first;
  for (let i = 0; i < restAt; i++) {
    const p = req.partitions[i] as LayoutPartition;
    const sectors = sectorsOf(i);
    const earliest = cursor + reserve(i);
    let start = alignUp(earliest, align);
    if (p.start !== undefined) {
      if (!Number.isSafeInteger(p.start) || p.start % ss !== 0) {
        throw new InvalidArgumentError(`${nameOf(req)(i)}: start ${p.start} is not a multiple of ${ss}`);
      }
      start = p.start / ss;
      if (start < earliest) {
        throw new LayoutError(
          `${nameOf(req)(i)}: fixed start ${p.start} overlaps what comes before it by ${formatSize((earliest - start) * ss)}`,
          nameOf(req)(i),
          (earliest - start) * ss,
        );
      }
    }
    if (start + sectors - 1 > last) {
      const short = (start + sectors - 1 - last) * ss;
      throw new LayoutError(
        `${nameOf(req)(i)} does not fit: it needs ${formatSize(short)} more than the disk has (${formatSize(sectors * ss)} asked, ${formatSize(Math.max(0, last + 1 - start) * ss)} left from offset ${start * ss})`,
        nameOf(req)(i),
        short,
      );
    }
    place(i, start, sectors);
    cursor = start + sectors;
  }
  if (restAt === req.partitions.length) return out;

  // Backward: partitions after the 'remaining' one are packed against the end, starts aligned down.
  let limit = last + 1;
  for (let i = req.partitions.length - 1; i > restAt; i--) {
    if (req.partitions[i]?.start !== undefined) {
      throw new InvalidArgumentError(`${nameOf(req)(i)}: a fixed start cannot follow a 'remaining' partition`);
    }
    const sectors = sectorsOf(i);
    const start = Math.floor((limit - sectors) / align) * align;
    place(i, start, sectors);
    limit = start - reserve(i);
  }
  const start = alignUp(cursor + reserve(restAt), align);
  if (limit - start < 1) {
    const short = (start + 1 - limit) * ss;
    throw new LayoutError(
      `${nameOf(req)(restAt)} gets no space: the partitions after it need ${formatSize(short)} more than the disk has`,
      nameOf(req)(restAt),
      short,
    );
  }
  place(restAt, start, limit - start);
  return out;
}

const alignUp = (lba: number, align: number) => Math.ceil(lba / align) * align;

const nameOf = (req: LayoutRequest) => (i: number) => {
  const n = req.partitions[i]?.name;
  return n ? `partition ${i + 1} ('${n}')` : `partition ${i + 1}`;
};
