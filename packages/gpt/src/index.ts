// A partition past the end of a cut-short disk, for GPT as for MBR.
export { TruncatedPartitionError } from '@fstool/mbr';
export { attributeNames, attributesFrom, GPT_ATTRIBUTES, type GptAttributeName } from './attributes.js';
export {
  checkHeader,
  decodeEntries,
  encodeEntries,
  encodeGpt,
  encodeHeader,
  encodeProtectiveMbr,
  type GptWrite,
} from './codec.js';
export { crc32 } from './crc.js';
export {
  detectPartitionTable,
  type PartitionTableInfo,
  type PartitionTableKind,
  readPartitionTable,
  type TableProblem,
} from './detect.js';
export { GptCorruptError, type GptProblem, type GptStructure } from './errors.js';
export { gptEntry, MAX_ENTRY_ARRAY_BYTES } from './format/entry.js';
export { type GptHeader, gptHeader } from './format/header.js';
export { bytesToGuid, guidToBytes, isGuid, NIL_GUID } from './guid.js';
export { findGptSectorSize, locateGpt } from './locate.js';
export { deriveGuid, randomGuid } from './new-guid.js';
export { listGptPartitions } from './partition-list.js';
export { type GptLayoutPartition, type GptLayoutRequest, type GptPlan, planGpt } from './plan.js';
export { type GptReadResult, type ReadGptOptions, readGpt } from './read.js';
export {
  buildGpt,
  DEFAULT_ENTRY_COUNT,
  type GptPartition,
  type GptPartitionSpec,
  type GptSpec,
  type GptTable,
  gptUsableRange,
  validateGpt,
} from './table.js';
export { gptTypeAliases, gptTypeName, resolveGptType } from './types.js';
export { moveBackupToEnd, repairGpt, writeGpt, writeGptTable } from './write.js';
