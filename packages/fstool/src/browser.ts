/**
 * The browser entry: everything in the main entry plus building and opening images over any
 * BlockDevice, with the CLI's planning (same spec and files, same bytes). No `node:*` imports.
 */

export {
  type BrowserBuildOptions,
  type BrowserBuildResult,
  buildImage,
  type OutputFormat,
} from './browser/build-image.js';
export { type OpenedImage, openImage } from './browser/open-image.js';
export * from './index.js';
export { type PlanSpecOptions, planSpec } from './jobs.js';
export { finishTree, type PreparedTree, sourceDateEpoch } from './prepare.js';
