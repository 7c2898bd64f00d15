/**
 * The one shape in which both @fstool/mbr and @fstool/gpt report partitions, so callers (the
 * facade's `info`, slicing a disk into partitions) treat both tables alike.
 */
export interface PartitionInfo {
  /** 1-based number as fdisk/sgdisk print it (MBR logicals start at 5). */
  index: number;
  /** Byte offset of the first sector. */
  start: number;
  /** Length in bytes. */
  size: number;
  /** Alias name when known (`linux`, `esp`, …), else `0xNN` (MBR) or the type GUID (GPT). */
  type: string;
  /** The raw type: MBR type byte or GPT type GUID (upper case). */
  typeId: number | string;
  /** MBR only: where the entry lives. */
  kind?: 'primary' | 'extended' | 'logical';
  /** GPT partition name. */
  name?: string;
  /** MBR boot flag (0x80), or GPT legacy-BIOS-bootable attribute. */
  bootable?: boolean;
  /** GPT attribute bits (64-bit). */
  attributes?: bigint;
  /** GPT unique partition GUID (upper case). */
  guid?: string;
  /** The partition runs past the end of the disk (a truncated image): its filesystem cannot be opened. */
  truncated?: boolean;
}

/** Marks each partition that runs past the end of a disk of `diskSize` bytes as `truncated`. */
export function markTruncated(partitions: PartitionInfo[], diskSize: number): PartitionInfo[] {
  return partitions.map((p) => (p.start + p.size > diskSize ? { ...p, truncated: true } : p));
}
