export { hostEntry } from './node/host-entry.js';
export { type ScanOptions, scanDirectory } from './node/scan.js';
export { writeHostXattrs } from './node/xattr-write.js';
export type { XattrPolicy } from './node/xattrs.js';
