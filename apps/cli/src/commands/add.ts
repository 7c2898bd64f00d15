import { basename } from 'node:path';
import type { Entry, FileSystem } from '@fstool/fs';
import { joinPath } from '@fstool/fs';
import { hostEntry, scanDirectory } from '@fstool/fs/node';
import { imagePath } from '../names.js';
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
export async function addHostPath(fs: FileSystem, host: string, dest: string): Promise<number> {
  const top = hostEntry(host);
  const existing = await statOrUndefined(fs, dest);
  const target = existing?.kind === 'dir' && top.kind !== 'dir' ? joinPath(dest, basename(host)) : dest;
  if (top.kind !== 'dir') {
    await fs.add(target, { ...top, path: target });
    return 1;
  }
  let count = 0;
  for await (const e of scanDirectory(host).entries()) {
    const path = e.path === '/' ? target : joinPath(target, e.path);
    if (e.kind === 'dir' && (await statOrUndefined(fs, path))?.kind === 'dir') continue;
    await fs.add(path, { ...e, path });
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
    .action((ref, host, dest) =>
      onFilesystem(ref, true, async (fs) => {
        const n = await addHostPath(fs, host, imagePath(dest));
        io.err(`added ${n} ${n === 1 ? 'entry' : 'entries'}\n`);
      }),
    );
};
