/** The on-disk structure codecs, for tools that inspect or craft images (e.g. the fuzzer). */
export { bpb, bpb16, bpb32, fsInfo } from './boot-sector.js';
export { lfnEntry, shortEntry } from './dirent.js';
