import type { FilesystemSpec } from '@fstool/spec';

const EXT = new Set(['ext2', 'ext3', 'ext4']);
const FAT = new Set(['vfat', 'fat', 'fat12', 'fat16', 'fat32']);

export function isExtType(type: string): boolean {
  return EXT.has(type);
}

export function isFatType(type: string): boolean {
  return FAT.has(type);
}

/** Identifiers the facade fills in (derived from the seed) when the spec does not give them. */
export interface DerivedIds {
  uuid?: string;
  hashSeed?: string;
  volumeId?: number;
}

/**
 * Turns one filesystem's spec keys into its driver's options. Built-in drivers get their typed
 * option names; a plugin gets `label` and `partitionStart` here, its own keys from `checkPluginKeys`.
 */
export function driverOptions(
  fs: FilesystemSpec,
  ids: DerivedIds,
  extra: { createdAt?: number; zeroed: boolean; partitionStart?: number },
): Record<string, unknown> {
  const pick = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, unknown>;
  if (isExtType(fs.type)) {
    return pick({
      blockSize: fs.blockSize,
      inodeSize: fs.inodeSize,
      inodes: fs.inodes,
      inodeRatio: fs.inodeRatio,
      reservedPercent: fs.reservedPercent,
      journalBlocks: fs.journalBlocks,
      label: fs.volumeLabel,
      uuid: fs.uuid === 'random' ? undefined : (fs.uuid ?? ids.uuid),
      hashSeed: fs.hashSeed === 'random' ? undefined : (fs.hashSeed ?? ids.hashSeed),
      features: fs.features,
      sparse: fs.sparse,
      createdAt: extra.createdAt,
      zeroed: extra.zeroed,
    });
  }
  if (isFatType(fs.type)) {
    const bits = { fat12: 12, fat16: 16, fat32: 32 }[fs.type as 'fat12'];
    return pick({
      fatType: bits,
      clusterSize: fs.clusterSize,
      label: fs.volumeLabel,
      volumeId: fs.volumeId ?? ids.volumeId,
      // The boot sector records where the volume starts on its disk (in 512-byte sectors).
      hiddenSectors: extra.partitionStart === undefined ? undefined : extra.partitionStart / 512,
      zeroed: extra.zeroed,
    });
  }
  // A plugin gets the label once (as `label`) and where its volume starts on the disk, besides its
  // own keys (checked against what it declares, merged in by the planner); no size: the device it
  // is handed is the resolved size.
  return pick({ label: fs.volumeLabel, partitionStart: extra.partitionStart ?? 0 });
}
