import { describe } from './describe.js';
import { readSize } from './size.js';
import { didYouMean } from './suggest.js';

/** A key path: table keys and 0-based array indexes. */
export type KeyPath = readonly (string | number)[];

export interface RawIssue {
  path: KeyPath;
  message: string;
}

export type TomlTable = Record<string, unknown>;

export function isTable(value: unknown): value is TomlTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Turns `['partitions', 2, 'filesystem']` into `partitions[2].filesystem`. */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/** Lists values for messages: `1024, 2048 or 4096`. */
export function orList(values: readonly unknown[]): string {
  const shown = values.map((v) => (typeof v === 'string' ? `"${v}"` : String(v)));
  return shown.length <= 1 ? shown.join('') : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`;
}

/**
 * Reads the keys of one TOML table, checking each value's shape and collecting problems instead of
 * throwing, so a spec reports every problem at once. Getters return `undefined` for a missing or bad key.
 */
export class TableReader {
  private readonly seen = new Set<string>();

  /**
   * `owner` names whose keys these are when it is not fstool's (`for the flatfs plugin`); messages
   * then say so. `names` shows a key under another name: the command-line flag it came from.
   */
  constructor(
    readonly issues: RawIssue[],
    readonly path: KeyPath,
    readonly table: TomlTable,
    readonly owner?: string,
    readonly names: Readonly<Record<string, string>> = {},
  ) {}

  /** How messages name `key`: its flag when it came from one (`--block-size`), else the key. */
  private name(key: string): string {
    return Object.hasOwn(this.names, key) ? (this.names[key] as string) : key;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.table, key);
  }

  at(key: string): KeyPath {
    return [...this.path, key];
  }

  /** Records a problem with `key`; the message starts with the key name. */
  fail(key: string, message: string): void {
    const owner = this.owner === undefined ? '' : ` (${this.owner})`;
    this.issues.push({ path: this.at(key), message: `${this.name(key)} ${message}${owner}` });
  }

  /** The raw value (marks the key as known). */
  raw(key: string): unknown {
    this.seen.add(key);
    return this.table[key];
  }

  /** The value of `key` checked by `read`: undefined when absent, or when bad (the problem is recorded). */
  value<T>(key: string, read: (value: unknown) => T | { error: string }): T | undefined {
    if (!this.has(key)) return undefined;
    const r = read(this.raw(key));
    if (typeof r === 'object' && r !== null && 'error' in r) {
      this.fail(key, r.error);
      return undefined;
    }
    return r as T;
  }

  require(key: string, what: string): void {
    if (this.has(key)) return;
    const owner = this.owner === undefined ? '' : ` ${this.owner}`;
    this.issues.push({ path: this.at(key), message: `${this.name(key)} is required${owner} (${what})` });
  }

  string(key: string): string | undefined {
    return this.value(key, (v) =>
      typeof v === 'string' && v !== '' ? v : { error: `must be a non-empty string, got ${describe(v)}` },
    );
  }

  bool(key: string): boolean | undefined {
    return this.value(key, (v) =>
      typeof v === 'boolean' ? v : { error: `must be true or false, got ${describe(v)}` },
    );
  }

  int(key: string, min: number, max: number): number | undefined {
    return this.value(key, (v) => readInt(v, min, max));
  }

  number(key: string, min: number, max: number): number | undefined {
    return this.value(key, (v) =>
      typeof v === 'number' && v >= min && v <= max
        ? v
        : { error: `must be a number from ${min} to ${max}, got ${describe(v)}` },
    );
  }

  oneOf<T extends string | number>(key: string, allowed: readonly T[]): T | undefined {
    return this.value(key, (v) =>
      allowed.includes(v as T) ? (v as T) : { error: `must be ${orList(allowed)}, got ${describe(v)}` },
    );
  }

  /** A byte size, or one of the given keywords (`auto`, `remaining`). */
  size(key: string): number | undefined;
  size<K extends string>(key: string, keywords: readonly K[]): number | K | undefined;
  size<K extends string>(key: string, keywords: readonly K[] = []): number | K | undefined {
    return this.value(key, (v) => {
      if (typeof v === 'string' && keywords.includes(v.trim().toLowerCase() as K)) return v.trim().toLowerCase() as K;
      const r = readSize(v);
      if (typeof r === 'number' || keywords.length === 0 || !r.error.includes('a size like')) return r;
      return { error: r.error.replace(/^must be /, `must be ${orList(keywords)}, `) };
    });
  }

  /** Every key no getter asked for, raw, marked as known. */
  rest(): TomlTable {
    const rest: TomlTable = {};
    for (const key of Object.keys(this.table)) if (!this.seen.has(key)) rest[key] = this.raw(key);
    return rest;
  }

  /** A sub-table; a value of another kind is reported. */
  sub(key: string): TableReader | undefined {
    const t = this.value(key, (v) => (isTable(v) ? v : { error: `must be a table, got ${describe(v)}` }));
    return t === undefined ? undefined : new TableReader(this.issues, this.at(key), t);
  }

  /** Reports every key no getter asked for as unknown, with a suggestion from `known` or a `hints` entry. */
  finish(known: readonly string[], hints: Record<string, string> = {}): void {
    for (const key of Object.keys(this.table)) {
      if (this.seen.has(key)) continue;
      const hint = Object.hasOwn(hints, key) ? ` (${hints[key]})` : didYouMean(key, known);
      const owner = this.owner === undefined ? '' : ` ${this.owner}`;
      this.issues.push({ path: this.at(key), message: `unknown key "${key}"${owner}${hint}` });
    }
  }
}

export const isPowerOfTwo = (n: number) => Number.isInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;

export function readInt(v: unknown, min: number, max: number): number | { error: string } {
  if (typeof v === 'bigint') return { error: `must be from ${min} to ${max}, got an integer beyond 2^53` };
  if (typeof v === 'number' && Number.isInteger(v)) {
    if (v >= min && v <= max) return v;
    return { error: `must be from ${min} to ${max}, got ${v}` };
  }
  return { error: `must be an integer, got ${describe(v)}` };
}
