import { basename } from 'node:path';
import type { Entry, FileSystem } from '@fstool/fs';
import { countingSource, joinPath, normalizePath } from '@fstool/fs';
import { hostEntry, scanDirectory } from '@fstool/fs/node';
import { progressBar, progressWanted, verbosity } from '../progress.js';
import { onFilesystem } from './files.js';
import type { Register } from './index.js';

async function statOrUndefined(fs: FileSystem, path: string): Promise<Entry | undefined> {
  try {
    return await fs.stat(path);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Copies a host file, link, node or whole directory into an image, like `cp -a`: onto an existing
 * directory it lands inside it; existing files are replaced, existing directories merged.
 */
export async function addHostPath(
  fs: FileSystem,
  host: string,
  dest: string,
  o: { onBytes?: (done: number, total: number) => void; onEntry?: (path: string) => void } = {},
): Promise<number> {
  const top = hostEntry(host);
  const existing = await statOrUndefined(fs, dest);
  const target = existing?.kind === 'dir' && top.kind !== 'dir' ? joinPath(dest, basename(host)) : dest;
  // With a progress callback the tree is scanned once first for its total.
  let total = top.kind === 'file' ? top.size : 0;
  if (o.onBytes && top.kind === 'dir')
    for await (const e of scanDirectory(host).entries()) if (e.kind === 'file') total += e.size;
  let done = 0;
  const put = (path: string, e: Entry) => {
    o.onEntry?.(path);
    const { onBytes } = o;
    const open = e.open;
    const counted =
      onBytes && open
        ? () =>
            countingSource(open(), (n) => {
              done += n;
              onBytes(done, total);
            })
        : undefined;
    return fs.add(path, { ...e, path, ...(counted ? { open: counted } : {}) });
  };
  if (top.kind !== 'dir') {
    await put(target, top);
    return 1;
  }
  let count = 0;
  for await (const e of scanDirectory(host).entries()) {
    const path = e.path === '/' ? target : joinPath(target, e.path);
    if (e.kind === 'dir' && (await statOrUndefined(fs, path))?.kind === 'dir') continue;
    await put(path, e);
    count++;
  }
  return count;
}

export const registerAdd: Register = (program, io) => {
  program
    .command('add')
    .description('copy a host file, link, device node or directory tree into an image (replaces files)')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('<host-path>', 'what to copy from the host')
    .argument('<dest>', 'where inside the image')
    .addHelpText(
      'after',
      '\nDefaults: files replaced, directories merged; owners, modes, times and user.* xattrs kept.\n\nExample:\n  fstool add disk.img:2 ./overlay/etc /etc',
    )
    .action((ref, host, dest) =>
      onFilesystem(ref, true, async (fs) => {
        const bar = progressBar();
        const n = await addHostPath(fs, host, normalizePath(dest), {
          ...(progressWanted()
            ? { onBytes: (done: number, total: number) => bar.onProgress({ phase: 'add', done, total }) }
            : {}),
          ...(verbosity.verbose ? { onEntry: (p: string) => io.err(`${p}\n`) } : {}),
        }).finally(() => bar.stop());
        if (!verbosity.quiet) io.err(`added ${n} ${n === 1 ? 'entry' : 'entries'}\n`);
      }),
    );
};
