export { withLoopMount } from './mount.js';
export { type NodeRecord, pick, type SnapshotOptions, snapshotTree } from './snapshot.js';
export { tempDir } from './temp.js';
export { findTool, haveTools, inCI, mustRun, type RunResult, runTool } from './tools.js';
