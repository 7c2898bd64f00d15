/**
 * Which backing files an image may read through. A downloaded image can name any host file as its
 * backing file (`/etc/shadow`, `../../etc/passwd`), and reading through it would copy host bytes
 * into `cat` or `convert` output. So a backing file is followed only when its real path (symlinks
 * resolved) lies inside the directory tree of the image that was opened, or the caller allowed it.
 */
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { BlockDevice } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import { Qcow2Device } from '../device.js';
import { BackingFileError } from '../errors.js';
import { isQcow2, readQcow2Info } from '../probe.js';

export interface BackingPolicy {
  /** false: backing files are not opened; unallocated clusters read as zeros and writing is refused. */
  follow?: boolean;
  /** Host files or directories whose backing files may be followed wherever they are. */
  allow?: string[];
  /** Follow backing files wherever they are. */
  any?: boolean;
}

/**
 * The most backing files one image may stack up: deeper chains are refused before anything is
 * opened past the limit (each level holds a file, its header and L1 table; 12,000 of them took
 * minutes and gigabytes). Real snapshot chains stay far below it.
 */
export const MAX_BACKING_DEPTH = 64;

/** One link of a backing chain as `info` shows it. */
export interface BackingLink {
  /** The name recorded in the image that refers to it. */
  name: string;
  /** Where that name resolves (symlinks resolved when the file exists). */
  path: string;
  format?: 'qcow2' | 'raw';
  status: 'followed' | 'not followed' | 'refused' | 'missing' | 'loop' | 'too deep';
  /** Why it is not followed. */
  reason?: string;
}

/** The opened image's directories, the policy, and the real paths of the chain so far. */
export interface ChainContext {
  roots: string[];
  policy: BackingPolicy;
  seen: string[];
}

/** The context for opening `path` as the top of a chain. */
export async function chainContext(path: string, policy: BackingPolicy = {}): Promise<ChainContext> {
  const self = await realpath(path);
  const roots = [...new Set([dirname(self), await realpath(dirname(resolve(path)))])];
  return { roots, policy, seen: [self] };
}

const isInside = (path: string, dir: string) => {
  const r = relative(dir, path);
  return r === '' || (r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r));
};

/** `path`: as named (relative names inside it resolve from there, as QEMU does); `real`: symlinks resolved. */
type Vetted = { ok: true; path: string; real: string } | { ok: false; link: BackingLink };

/** Resolves the backing file `name` of `parent` and decides whether it may be opened. */
async function vet(parent: string, name: string, ctx: ChainContext): Promise<Vetted> {
  const path = resolve(dirname(parent), name);
  const refuse = (status: BackingLink['status'], reason: string, at = path): Vetted => ({
    ok: false,
    link: { name, path: at, status, reason },
  });
  if (ctx.policy.follow === false) return refuse('not followed', 'backing files are not followed (--no-backing)');
  if (ctx.seen.length > MAX_BACKING_DEPTH) {
    return refuse('too deep', `the backing chain is deeper than ${MAX_BACKING_DEPTH} files`);
  }
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return refuse('missing', `it does not exist (looked for ${path})`);
  }
  if (ctx.seen.includes(real)) return refuse('loop', `the chain loops: ${[...ctx.seen, real].join(' -> ')}`, real);
  if (ctx.policy.any || ctx.roots.some((root) => isInside(real, root))) return { ok: true, path, real };
  for (const allowed of ctx.policy.allow ?? []) {
    const dir = await realpath(allowed).catch(() => resolve(allowed));
    if (isInside(real, dir)) return { ok: true, path, real };
  }
  return refuse(
    'refused',
    `it lies outside the image's directory ${ctx.roots[0]}; allow it with --backing-allow ${real} ` +
      '(or --allow-any-backing), or read the image without it with --no-backing',
    real,
  );
}

/** The `openBacking` callback for an image at `imagePath` in the chain `ctx`. */
export function backingOpener(imagePath: string, ctx: ChainContext) {
  return async (name: string, format: string | undefined): Promise<BlockDevice> => {
    const v = await vet(imagePath, name, ctx);
    if (!v.ok) throw new BackingFileError(`backing file "${name}" of ${imagePath}: ${v.link.reason}`);
    const file = await FileDevice.open(v.real);
    try {
      if (format !== 'raw' && (await isQcow2(file))) {
        const next = { ...ctx, seen: [...ctx.seen, v.real] };
        return await Qcow2Device.open(file, { openBacking: backingOpener(v.path, next) });
      }
      if (format === 'qcow2') throw new BackingFileError(`backing file ${v.real} of ${imagePath} is not a qcow2 image`);
      return file;
    } catch (err) {
      await file.close();
      throw err;
    }
  };
}

/**
 * The backing chain of the qcow2 file at `path`, link by link, reading only headers and only of
 * files the policy lets it follow: what `info` shows even when opening the image is refused.
 */
export async function backingChain(path: string, policy: BackingPolicy = {}): Promise<BackingLink[]> {
  const ctx = await chainContext(path, policy);
  const links: BackingLink[] = [];
  let at = path;
  let header = await headerOf(path);
  while (header?.backingFile !== undefined) {
    const name = header.backingFile;
    const v = await vet(at, name, ctx);
    if (!v.ok) {
      links.push(v.link);
      break;
    }
    const next = header.backingFormat === 'raw' ? undefined : await headerOf(v.real);
    links.push({ name, path: v.real, format: next ? 'qcow2' : 'raw', status: 'followed' });
    ctx.seen.push(v.real);
    at = v.path;
    header = next;
  }
  return links;
}

async function headerOf(path: string) {
  const file = await FileDevice.open(path);
  try {
    return (await isQcow2(file)) ? await readQcow2Info(file) : undefined;
  } finally {
    await file.close();
  }
}
