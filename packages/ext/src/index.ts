export { crc32c } from './checksum.js';
export { extDriver } from './driver.js';
export { type FeatureName, type FeatureSet, featureNames } from './format/superblock.js';
export { defaultBlockSize, defaultInodeRatio, defaultJournalBlocks } from './plan/geometry.js';
export { type ExtOptions, type ExtType, parseFeatureList } from './plan/options.js';
export { ChecksumError, ExtEditor, ExtFileSystem, type OpenOptions, openExt, probeExt } from './read/index.js';
