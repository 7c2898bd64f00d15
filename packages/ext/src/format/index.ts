/** The on-disk structure codecs, for tools that inspect or craft images (e.g. the fuzzer). */

export { groupDesc32, groupDesc64, groupDescCodec } from './group-desc.js';
export { inodeBase, inodeExtra } from './inode.js';
export { superblock } from './superblock.js';
