import { normalizePath } from '@fstool/fs';
import type { Register } from './index.js';

export const registerChown: Register = (program) => {
  program
    .command('chown')
    .description('change owner and group inside an image (numeric ids; FAT refuses)')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('<owner>', 'UID[:GID], :GID or UID:')
    .argument('<paths...>', 'paths inside the image (symlinks themselves, not followed)')
    .option('-R, --recursive', 'everything below each path too')
    .addHelpText(
      'after',
      '\nDefaults: not recursive; the group stays unless given.\n\nExample:\n  fstool chown -R disk.img:2 1000:1000 /home/pi',
    )
    .action(async (ref, owner, paths, o) => {
      const [{ onFilesystem }, { changeOwner }] = await Promise.all([import('./files.js'), import('../ops/attrs.js')]);
      await onFilesystem(ref, true, (fs) => changeOwner(fs, owner, paths.map(normalizePath), o.recursive ?? false));
    });
};
