import { describe } from './describe.js';
import { NO_PARTITIONS, readImage, readPartitions } from './disk.js';
import { SpecError, type SpecIssue } from './errors.js';
import { readFilesystem } from './filesystem.js';
import { locateIssues } from './locate.js';
import { isPowerOfTwo, type RawIssue, TableReader } from './reader.js';
import { parseToml } from './toml.js';
import type { ImageSpec, OutputSpec } from './types.js';

const TOP_KEYS = ['filesystem', 'image', 'partitions', 'output', 'plugins'];
const OUTPUT_KEYS = ['format', 'cluster_size', 'compress'];

function readOutput(t: TableReader | undefined): OutputSpec {
  if (t === undefined) return {};
  const output: OutputSpec = {};
  const format = t.oneOf('format', ['raw', 'qcow2'] as const);
  if (format !== undefined) output.format = format;
  if (format === 'raw') {
    for (const key of OUTPUT_KEYS.slice(1)) {
      if (!t.has(key)) continue;
      t.raw(key);
      t.fail(key, 'is for qcow2 output only');
    }
  }
  const clusterSize = format === 'raw' ? undefined : t.size('cluster_size');
  // qcow2 clusters: 512 bytes to 2 MiB, a power of two (QEMU's limits).
  if (clusterSize !== undefined) {
    if (isPowerOfTwo(clusterSize) && clusterSize >= 512 && clusterSize <= 2 ** 21) {
      output.clusterSize = clusterSize;
    } else t.fail('cluster_size', `must be a power of two from 512 to 2097152 (2 MiB), got ${clusterSize}`);
  }
  const compress = format === 'raw' ? undefined : t.bool('compress');
  if (compress !== undefined) output.compress = compress;
  t.finish(OUTPUT_KEYS);
  return output;
}

function readPlugins(t: TableReader): string[] {
  return (
    t.value('plugins', (v) => {
      if (!Array.isArray(v) || v.some((p) => typeof p !== 'string' || p === '')) {
        return { error: `must be an array of package names, got ${describe(v)}` };
      }
      return [...new Set(v as string[])];
    }) ?? []
  );
}

function validate(doc: Record<string, unknown>, issues: RawIssue[], external: boolean): ImageSpec | undefined {
  const top = new TableReader(issues, [], doc);
  const plugins = readPlugins(top);
  const anyType = external || plugins.length > 0;
  const output = readOutput(top.sub('output'));
  const hasFs = top.has('filesystem');
  const hasImage = top.has('image');
  if (hasFs && (hasImage || top.has('partitions'))) {
    issues.push({
      path: ['filesystem'],
      message: 'a spec is either a bare [filesystem] or a disk ([image] + [[partitions]]), not both',
    });
  }
  if (hasFs) {
    const fsTable = top.sub('filesystem');
    top.raw('image');
    top.raw('partitions');
    top.finish(TOP_KEYS);
    const filesystem = fsTable && readFilesystem(fsTable, true, anyType);
    return filesystem && { kind: 'filesystem', filesystem, output, plugins };
  }
  if (!hasImage) {
    const what = top.has('partitions') ? '[[partitions]] need an [image] table' : 'the spec is empty';
    issues.push({
      path: top.has('partitions') ? ['image'] : [],
      message: `${what}: write a [filesystem] table (a bare filesystem) or [image] + [[partitions]] (a whole disk)`,
    });
  }
  const imageTable = top.sub('image');
  const image = imageTable && readImage(imageTable);
  let partitions: ReturnType<typeof readPartitions> = [];
  if (top.has('partitions')) {
    const table = image?.partitionTable ?? imageTable?.table.partition_table;
    const kind = table === 'mbr' || table === 'gpt' ? table : undefined;
    partitions = readPartitions(issues, top.raw('partitions'), image, kind, anyType);
  } else if (hasImage) {
    issues.push({ path: ['partitions'], message: NO_PARTITIONS });
  }
  top.finish(TOP_KEYS);
  return image && { kind: 'disk', image, partitions, output, plugins };
}

export type SafeParseResult = { ok: true; spec: ImageSpec } | { ok: false; issues: SpecIssue[] };

export interface SpecOptions {
  /**
   * Accept filesystem types that are not built in even when the spec lists no `plugins`: the
   * caller loads plugins another way (`--plugin`, `FSTOOL_PLUGINS`) and checks the types and their
   * keys with `checkPluginKeys`.
   */
  plugins?: boolean;
}

/** Parses and validates a spec, returning every problem found (with lines) instead of throwing. */
export function safeParseSpec(text: string, options: SpecOptions = {}): SafeParseResult {
  const parsed = parseToml(text);
  if ('issue' in parsed) return { ok: false, issues: [parsed.issue] };
  const raw: RawIssue[] = [];
  const spec = validate(parsed.value, raw, options.plugins ?? false);
  if (raw.length === 0 && spec !== undefined) return { ok: true, spec };
  return { ok: false, issues: locateIssues(raw, text) };
}

/**
 * Parses and validates a spec's TOML text. `file` only labels messages (no I/O happens here).
 * Throws `SpecError` listing every problem, one per line as `file:line: path: message`.
 */
export function parseSpec(text: string, file?: string, options?: SpecOptions): ImageSpec {
  const r = safeParseSpec(text, options);
  if (r.ok) return r.spec;
  throw new SpecError(r.issues, file);
}
