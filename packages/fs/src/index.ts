export {
  type BuildContext,
  type BuildReport,
  defineDriver,
  type FileSystem,
  type FileSystemDriver,
  type FsInfo,
  type Progress,
} from './driver.js';
export type { ContentSource, Entry, EntryKind, SourceTree } from './entry.js';
export {
  ExistsError,
  InvalidPathError,
  IsDirectoryError,
  NoSpaceError,
  NotDirectoryError,
  NotEmptyError,
  NotFoundError,
  UnsupportedError,
} from './errors.js';
export { bytesSource, collectTree, comparePaths, treeFromEntries } from './memory-tree.js';
export * from './mode.js';
export { basename, checkName, compareNames, dirname, joinPath, NAME_MAX, normalizePath, splitPath } from './path.js';
