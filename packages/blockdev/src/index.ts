export { checkRange } from './check.js';
export { type CopyOptions, copy } from './copy.js';
export { type BlockDevice, type DataRange, isResizable, type ResizableDevice } from './device.js';
export {
  ClosedError,
  CorruptError,
  FsError,
  InvalidArgumentError,
  OutOfRangeError,
  ReadOnlyError,
} from './errors.js';
export { MemoryDevice, type MemoryDeviceOptions } from './memory.js';
export { settleAll } from './settle.js';
export { formatSize } from './size.js';
export { SliceDevice } from './slice.js';
export { isZero, writeZeros, zeroChunk } from './zero.js';
