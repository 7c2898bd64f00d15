/** The on-disk structure codecs, for tools that inspect or craft images (e.g. the fuzzer). */
export { headerV2, headerV3 } from './header.js';
export { reftableEntry, tableEntry } from './tables.js';
