import { Option } from '@commander-js/extra-typings';
import { InvalidArgumentError } from '@fstool/blockdev';
import type { BareFilesystemSpec, FilesystemImage } from '@fstool/spec';
import { readSize, XATTR_POLICIES } from '@fstool/spec';

import { lockOption, registryWith } from '../context.js';

import { humanSize, toJson } from '../format.js';
import type { Io } from '../io.js';
import { escapeMessage } from '../names.js';
import { progressBar, verbosity } from '../progress.js';
import { replaceNotice } from '../replace.js';
import { parseTime } from '../time.js';

export const formatOption = () =>
  new Option('--format <format>', 'output format (default: from the name: .qcow2/.qcow/.q2 mean qcow2)').choices([
    'raw',
    'qcow2',
  ] as const);

/** The flags every `*-build` command maps to spec keys, for messages that name the flag. */
export const FS_FLAGS = { source: 'DIR', size: '--size', volume_label: '--label', mtime: '--mtime' };

/** A byte-size flag (`64MiB`, `1G`, bytes); a bad value is reported under the flag's name. */
export const sizeFlag =
  (name: string) =>
  (v: string): number => {
    const r = readSize(v);
    if (typeof r === 'number') return r;
    throw new InvalidArgumentError(`${name} ${r.error}`);
  };

/** `--size 64MiB` or `auto`. */
export const parseSizeOrAuto = (v: string): number | 'auto' => (v === 'auto' ? 'auto' : sizeFlag('--size')(v));

/** The options every `*-build` command shares. */
export const sizeOption = () =>
  new Option('--size <size>', 'size (64MiB, 1G, bytes) or auto: the smallest that fits')
    .argParser(parseSizeOrAuto)
    .default('auto' as const);
/** `--xattrs`: which host xattrs ext builds copy (default: user.*, trusted.*, security.*). */
export const xattrsOption = () =>
  new Option(
    '--xattrs <policy>',
    'host xattrs to copy (default: user.*, trusted.*, security.*; all adds system.* ACLs)',
  ).choices(XATTR_POLICIES);

export const headroomOption = () =>
  new Option('--headroom <amount>', 'with --size auto: extra free space, e.g. 20% (default none)').argParser(
    parseHeadroom,
  );
export const mtimeOption = () =>
  new Option('--mtime <time>', 'set every time to this (seconds or ISO 8601); else SOURCE_DATE_EPOCH clamps').argParser(
    (v) => {
      try {
        return parseTime(v);
      } catch (err) {
        throw new InvalidArgumentError(`--mtime: ${(err as Error).message}`);
      }
    },
  );

/** `--headroom 20%` or `0.2`: extra free space for `--size auto`, as a fraction of the contents. */
export const parseHeadroom = (v: string): number => {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`--headroom must be a fraction (0.2) or a percentage (20%), got "${v}"`);
  return Number(m[1]) / (m[2] ? 100 : 1);
};

/** Parses a whole number option, naming the option in the error. */
export const intOption = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new Error(`${name} must be a whole number, got "${v}"`);
  return Number(v);
};

export interface FsBuildRequest {
  output: string;
  fs: BareFilesystemSpec;
  format?: 'raw' | 'qcow2';
  clusterSize?: number;
  /** Driver options with no spec key (e.g. ext's journalSize). */
  driverOptions?: Record<string, unknown>;
  json?: boolean;
  /** Allow writing onto a block device. */
  force?: boolean;
  /** The flag each spec key came from, so build messages name it (`--size`, `--device-table`). */
  flags: Readonly<Record<string, string>>;
}

/** Builds a bare filesystem image from a host directory: the same path as `fstool build`. */
export async function runFsBuild(io: Io, req: FsBuildRequest): Promise<void> {
  const spec: FilesystemImage = {
    kind: 'filesystem',
    filesystem: req.fs,
    output: req.clusterSize !== undefined ? { clusterSize: req.clusterSize } : {},
    plugins: [],
  };
  const bar = progressBar();
  const started = performance.now();
  try {
    const { buildImage } = await import('fstool/node');
    const result = await buildImage(spec, {
      output: req.output,
      baseDir: process.cwd(),
      registry: await registryWith(),
      ...(req.format ? { format: req.format } : {}),
      ...(req.driverOptions ? { driverOptions: req.driverOptions } : {}),
      ...(req.force ? { force: true } : {}),
      flags: req.flags,
      ...lockOption(),
      ...replaceNotice(io),
      onProgress: (_v, p) => bar.onProgress(p),
      onWarning: (m) => io.err(`warning: ${escapeMessage(m)}\n`),
    });
    bar.stop();
    if (req.json) return io.out(toJson(result));
    if (verbosity.quiet) return;
    const v = result.volumes[0];
    const secs = ((performance.now() - started) / 1000).toFixed(2);
    const details = v ? `, ${v.entries} entries, ${humanSize(v.usedBytes)} used${counts(v.details)}` : '';
    io.out(
      `wrote ${result.output}: ${v?.type ?? req.fs.type} ${result.format} image of ${humanSize(result.size)}${details}, in ${secs} s\n`,
    );
  } finally {
    bar.stop();
  }
}

/** `, inodes 14/2048, blocks 1234/16384` from a driver's details, where it reports them. */
function counts(d: Record<string, unknown>): string {
  const used = (total: unknown, free: unknown) =>
    typeof total === 'number' && typeof free === 'number' ? `${total - free}/${total}` : undefined;
  const inodes = used(d.inodes, d.freeInodes);
  const blocks = used(d.blocks, d.freeBlocks);
  return (inodes ? `, inodes ${inodes}` : '') + (blocks ? `, blocks ${blocks}` : '');
}
