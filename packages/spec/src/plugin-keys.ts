import { formatSize } from '@fstool/blockdev';
import type { FileSystemDriver, SpecKey } from '@fstool/fs';
import { describe } from './describe.js';
import { SpecError } from './errors.js';
import { COMMON_KEYS } from './filesystem.js';
import { locateIssues } from './locate.js';
import { type KeyPath, orList, type RawIssue, readInt, TableReader } from './reader.js';
import { readSize } from './size.js';
import { didYouMean } from './suggest.js';
import { BUILTIN_FS_TYPES, type FilesystemSpec, type ImageSpec } from './types.js';

/** What `checkPluginKeys` needs of a loaded plugin's driver. */
export type PluginDriver = Pick<FileSystemDriver, 'type' | 'specKeys'>;

/** The loaded filesystem drivers, as the facade's registry knows them. */
export interface KnownTypes {
  /** The driver of a type that is not built in, or undefined when no plugin has it. */
  plugin(type: string): PluginDriver | undefined;
  /** Every type name, for messages. */
  types(): readonly string[];
}

const WHAT: Record<SpecKey['type'], string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  size: 'a size like "64KiB"',
};

function bounds(value: number, rule: SpecKey): { error: string } | undefined {
  const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY } = rule;
  if (value >= min && value <= max) return undefined;
  const show = (n: number) => (rule.type === 'size' ? formatSize(n) : String(n));
  const range =
    rule.min === undefined
      ? `at most ${show(max)}`
      : rule.max === undefined
        ? `at least ${show(min)}`
        : `from ${show(min)} to ${show(max)}`;
  return { error: `must be ${range}, got ${show(value)}` };
}

/** One value checked against its declaration: its type, bounds and allowed values. */
function readKey(v: unknown, rule: SpecKey): string | number | boolean | { error: string } {
  let value: string | number | boolean;
  if (rule.type === 'size') {
    const r = readSize(v);
    if (typeof r !== 'number') return r;
    value = r;
  } else if (rule.type === 'integer') {
    const r = readInt(v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    if (typeof r !== 'number') return r;
    value = r;
  } else {
    if (typeof v !== rule.type) return { error: `must be ${WHAT[rule.type]}, got ${describe(v)}` };
    value = v as string | number | boolean;
  }
  const out = typeof value === 'number' ? bounds(value, rule) : undefined;
  if (out !== undefined) return out;
  if (rule.enum !== undefined && !rule.enum.includes(value as string | number)) {
    return { error: `must be ${orList(rule.enum)}, got ${describe(v)}` };
  }
  return value;
}

const camelCase = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** One plugin filesystem's keys read by its declaration: camelCase values, defaults filled in. */
function readPluginTable(fs: FilesystemSpec, driver: PluginDriver, path: KeyPath, issues: RawIssue[]) {
  const t = new TableReader(issues, path, fs.pluginKeys ?? {}, `for the ${driver.type} plugin`);
  const declared = Object.entries(driver.specKeys ?? {});
  const options: Record<string, unknown> = {};
  for (const [key, rule] of declared) {
    if (rule.required === true) t.require(key, rule.description ?? WHAT[rule.type]);
    const value = t.value(key, (v) => readKey(v, rule)) ?? rule.default;
    if (value !== undefined) options[camelCase(key)] = value;
  }
  // A common key misspelt lands here too, so it is among the suggestions.
  t.finish([...declared.map(([key]) => key), ...COMMON_KEYS]);
  return options;
}

/**
 * What is wrong with a driver's `specKeys`, or undefined: a key of an unknown type, or one the
 * spec gives to fstool (which would never reach the plugin). Checked when a plugin is loaded.
 */
export function specKeysProblem(driver: PluginDriver): string | undefined {
  for (const [key, rule] of Object.entries(driver.specKeys ?? {})) {
    if (COMMON_KEYS.includes(key)) return `declares the spec key "${key}", which fstool reads for every type`;
    if (!Object.hasOwn(WHAT, rule?.type)) {
      return `declares the spec key "${key}" with type ${describe(rule?.type)} (use ${orList(Object.keys(WHAT))})`;
    }
  }
  return undefined;
}

/** Each filesystem of a spec with its key path, in spec order. */
function tables(spec: ImageSpec): Array<[KeyPath, FilesystemSpec | undefined]> {
  return spec.kind === 'filesystem'
    ? [[['filesystem'], spec.filesystem]]
    : spec.partitions.map((p, i) => [['partitions', i, 'filesystem'], p.filesystem]);
}

/**
 * Checks, once the plugins are loaded, that every type that is not built in has a driver and that each
 * plugin type's keys are the ones its plugin declares (`specKeys`), with values of the declared
 * type. Returns one entry per filesystem in spec order (a bare filesystem, or one per partition):
 * a plugin's options (camelCase, defaults filled in), else undefined. Throws a `SpecError` listing
 * every problem, with lines when `source` has the spec's text.
 */
export function checkPluginKeys(
  spec: ImageSpec,
  known: KnownTypes,
  source?: { text: string; file?: string },
): Array<Record<string, unknown> | undefined> {
  const issues: RawIssue[] = [];
  const options = tables(spec).map(([path, fs]) => {
    if (fs === undefined || (BUILTIN_FS_TYPES as readonly string[]).includes(fs.type)) return undefined;
    const driver = known.plugin(fs.type);
    if (driver !== undefined) return readPluginTable(fs, driver, path, issues);
    const types = known.types();
    issues.push({
      path: [...path, 'type'],
      message:
        `type "${fs.type}" is no known filesystem type${didYouMean(fs.type, types)}: known are ${types.join(', ')}; ` +
        `a plugin's type needs its plugin (--plugin NAME, FSTOOL_PLUGINS or the spec's plugins = [...])`,
    });
    return undefined;
  });
  if (issues.length > 0) throw new SpecError(locateIssues(issues, source?.text), source?.file);
  return options;
}
