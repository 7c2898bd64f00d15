export { formatIssue, SpecError, type SpecIssue } from './errors.js';
export {
  checkPluginKeys,
  type KnownTypes,
  type PluginDriver,
  specKeysProblem,
} from './plugin-keys.js';
export { formatSize, MAX_SIZE, parseSize } from './size.js';
export { parseSpec, type SafeParseResult, type SpecOptions, safeParseSpec } from './spec.js';
export * from './types.js';
