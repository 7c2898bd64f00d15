// @iarna/toml reads Node's `global` when it loads and while it parses; a browser has only
// `globalThis`. Naming it here lets bundles use the parser without a `global` define.
(globalThis as { global?: unknown }).global ??= globalThis;
