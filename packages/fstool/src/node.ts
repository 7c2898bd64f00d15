export { SECTOR_SIZES } from '@fstool/mbr';
export {
  type AtomicWriteOptions,
  removeTemporaryFiles,
  staleTemporaryFiles,
  writeAtomically,
} from './node/atomic.js';
export { type BuildOptions, type BuildResult, buildImage, buildSpecFile } from './node/build-image.js';
export { checkImage, type ImageCheck, type VolumeCheck } from './node/check.js';
export { type ConvertImageOptions, convertImage } from './node/convert.js';
export {
  type ContainerInfo,
  describeContainer,
  type ImageInfo,
  OpenImage,
  type OpenImageOptions,
  parseImageRef,
  withFilesystem,
} from './node/image.js';
export { ImageLock, LockedError, type LockMode, type LockOptions } from './node/lock.js';
export { assertNotMounted, MountedError } from './node/mounted.js';
export { createOutput, type OutputFormat, type OutputOptions, outputFormat } from './node/output.js';
export { checkOutputPath } from './node/output-path.js';
export { loadPlugins, PluginError } from './node/plugins.js';
export { type RepackOptions, repack } from './node/repack.js';
export { blockDeviceSectorSize } from './node/sector-size.js';
export { isBlockDevicePath, openBlockTarget, TargetError } from './node/target.js';
export { type PreparedTree, prepareTree, SourceError, sourceDateEpoch } from './node/trees.js';
