export { type ModuleTrace, traceModules } from './node/modules.js';
export { withLoopMount } from './node/mount.js';
export { COPY_FIELDS, type NodeRecord, pick, type SnapshotOptions, snapshotTree } from './node/snapshot.js';
export { tempDir } from './node/temp.js';
export { findTool, haveTools, inCI, mustRun, type RunResult, runTool } from './node/tools.js';
export { e2fsckNoise, e2fsckVerdict, fsckVfatVerdict, qemuImgCheckVerdict, type Verdict } from './node/verdicts.js';
