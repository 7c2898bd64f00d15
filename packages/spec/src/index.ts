// formatSize lives in @fstool/blockdev (every package's messages use it); re-exported for spec users.
export { formatSize } from '@fstool/blockdev';
export { formatIssue, SpecError, type SpecIssue } from './errors.js';
export { readFilesystemFlags } from './filesystem.js';
export {
  checkPluginKeys,
  type KnownTypes,
  type PluginDriver,
  specKeysProblem,
} from './plugin-keys.js';
export { MAX_SIZE, parseSize, readSize } from './size.js';
export { parseSpec, type SafeParseResult, type SpecOptions, safeParseSpec } from './spec.js';
export * from './types.js';
