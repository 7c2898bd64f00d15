export { countingSource } from './counting-source.js';
export {
  type ApplyDeviceTableOptions,
  applyDeviceTable,
  type DeviceTable,
  DeviceTableError,
  type DeviceTableLine,
  parseDeviceTable,
} from './device-table.js';
export {
  type Attributes,
  type BuildContext,
  type BuildReport,
  type CheckReport,
  defineDriver,
  type FileSystem,
  type FileSystemDriver,
  type FsInfo,
  type Progress,
  type SizedDriver,
  type SpecKey,
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
export { fileSystemTree } from './fs-tree.js';
export { bytesSource, collectTree, comparePaths, treeFromEntries } from './memory-tree.js';
export * from './mode.js';
export {
  decodeName,
  encodeName,
  escapeName,
  firstEscapedByte,
  isPlainName,
  nameByteLength,
  nameBytesBase64,
  unescapeName,
} from './names.js';
export { type OverlayItem, type OverlayOptions, overlayTree } from './overlay.js';
export { basename, checkName, compareNames, dirname, joinPath, NAME_MAX, normalizePath, splitPath } from './path.js';
export { ROOT_DEVS_PRESETS, type RootDevsPreset, rootDevices, withRootDevices } from './rootdevs.js';
export { streamSource } from './stream-source.js';
export {
  clampTimes,
  fixedTime,
  type IdMaps,
  mapEntries,
  mapIds,
  normalizeTimes,
  type ReproducibleOptions,
  reproducible,
  squashOwners,
  squashPermissions,
} from './transforms.js';
