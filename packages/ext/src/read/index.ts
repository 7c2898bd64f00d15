export { ExtEditor } from '../edit/editor.js';
export { ExtFileSystem } from './filesystem.js';
export { type OpenOptions, openExt, probeExt } from './open.js';
export { ChecksumError } from './volume.js';
