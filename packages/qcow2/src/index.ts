export { type CheckOptions, type CheckProblem, type CheckReport, check, type ProblemKind } from './check.js';
export { type ConvertOptions, convertToQcow2, convertToRaw } from './convert.js';
export { Qcow2Device } from './device.js';
export { BackingFileError, NeedsRepairError, NotQcow2Error, Qcow2UnsupportedError } from './errors.js';
export type { Qcow2Info } from './info.js';
export type { CacheOptions, CreateOptions, Deflater, OpenOptions } from './options.js';
export { isQcow2, readQcow2Info } from './probe.js';
