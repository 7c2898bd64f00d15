import { normalizePath } from '@fstool/fs';
import type { Register } from './index.js';

export const registerChmod: Register = (program) => {
  program
    .command('chmod')
    .description('change permission bits inside an image (FAT: the owner write bit is the read-only attribute)')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('<mode>', 'octal (755) or symbolic (u+x,go-w)')
    .argument('<paths...>', 'paths inside the image')
    .option('-R, --recursive', 'everything below each path too')
    .addHelpText(
      'after',
      '\nDefaults: not recursive; symlinks are left alone.\n\nExample:\n  fstool chmod disk.img:2 u+x,go-w /usr/local/bin/tool',
    )
    .action(async (ref, mode, paths, o) => {
      const [{ onFilesystem }, { changeMode }] = await Promise.all([import('./files.js'), import('../ops/attrs.js')]);
      await onFilesystem(ref, true, (fs) => changeMode(fs, mode, paths.map(normalizePath), o.recursive ?? false));
    });
};
