export { fat, fatDriver } from './driver.js';
export type { FatType } from './geometry.js';
export { DEFAULT_OEM_NAME, DEFAULT_VOLUME_ID, type FatOptions } from './options.js';
export { type FatOpenOptions, openFat } from './volume.js';
