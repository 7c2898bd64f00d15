export { type VolumeReport, type WriteOptions, writeImage } from './build.js';
export {
  Disk,
  type DiskInfo,
  NoSuchPartitionError,
  UnknownFilesystemError,
  type Volume,
  type VolumeInfo,
} from './disk.js';
export { type DerivedIds, driverOptions, isExtType, isFatType } from './driver-options.js';
export { type BuildPlan, type FsJob, PlanError, type PlannedVolume, planImage } from './plan.js';
export { type AnyDriver, createRegistry, DriverRegistry, UnknownTypeError } from './registry.js';
export { deriveU32, deriveUuid } from './seed.js';
