export { ExtEditor } from '../edit/editor.js';
export { ExtFileSystem } from './filesystem.js';
export { type OpenOptions, openExt } from './open.js';
export { probeExt } from './probe.js';
export { ChecksumError } from './volume.js';
