export { formatIssue, SpecError, type SpecIssue } from './errors.js';
export { formatSize, MAX_SIZE, parseSize } from './size.js';
export { parseSpec, type SafeParseResult, safeParseSpec } from './spec.js';
export * from './types.js';
