export { lbaToChs } from './chs.js';
export {
  type DecodedMbr,
  decodeEbr,
  decodeMbr,
  encodeMbr,
  encodeMbrSector,
  hasBootSignature,
  type MbrSector,
  primaryPartitions,
  type RawMbrEntry,
} from './codec.js';
export { LayoutError, PartitionTableError, PartitionTypeError, TruncatedPartitionError } from './errors.js';
export { mbrEntry, mbrSector } from './format/mbr-sector.js';
export { mbrTableToSpec, type ReadMbrOptions, readMbr, writeMbr } from './io.js';
export { type LayoutPartition, type LayoutRequest, type PlannedPartition, planLayout } from './layout.js';
export { markTruncated, type PartitionInfo } from './partition-info.js';
export { listMbrPartitions } from './partition-list.js';
export { type MbrLayoutPartition, type MbrLayoutRequest, type MbrPlan, planMbr } from './plan-mbr.js';
export { looksLikeBootSector, looksLikeMbr } from './probe.js';
export { probeMbrSectorSize } from './sector-size.js';
export { SECTOR_SIZES } from './sector-sizes.js';
export {
  buildMbr,
  ebrPositions,
  type MbrKind,
  type MbrPartition,
  type MbrPartitionSpec,
  type MbrSpec,
  type MbrTable,
  validateMbr,
} from './table.js';
export { EXTENDED_TYPES, hexByte, mbrTypeAliases, mbrTypeName, resolveMbrType } from './types.js';
