import { Option } from '@commander-js/extra-typings';
import { InvalidArgumentError } from '@fstool/blockdev';
import { readFilesystemFlags } from '@fstool/spec';

import { FS_FLAGS, formatOption, headroomOption, mtimeOption, runFsBuild, sizeFlag, sizeOption } from './fs-build.js';
import type { Register } from './index.js';

/** `--volume-id DEADBEEF`, `0xdeadbeef` or `dead-beef`. */
function parseVolumeId(v: string): number {
  const hex = v.replace(/^0x/i, '').replace('-', '');
  if (!/^[0-9a-f]{1,8}$/i.test(hex))
    throw new InvalidArgumentError(`--volume-id must be up to 8 hex digits, got "${v}"`);
  return Number.parseInt(hex, 16);
}

/** The flag each spec key of a FAT build comes from, for messages. */
const FAT_FLAGS = { ...FS_FLAGS, type: '--fat', volume_id: '--volume-id', cluster_size: '--cluster-size' };

export const registerFatBuild: Register = (program, io) => {
  program
    .command('fat-build')
    .description('build a FAT12/16/32 image (with long names) from a directory')
    .argument('<dir>', 'source directory')
    .requiredOption('-o, --output <file>', 'image to write (replaced atomically on success)')
    .addOption(
      new Option('--fat <bits>', 'FAT type (default: chosen from the size as mkfs.fat does)').choices([
        '12',
        '16',
        '32',
      ] as const),
    )
    .addOption(sizeOption())
    .addOption(headroomOption())
    .option('--label <label>', 'volume label (up to 11 characters)')
    .option('--volume-id <hex>', 'volume serial number (default fixed, for reproducible output)', parseVolumeId)
    .option('--cluster-size <size>', 'bytes per cluster (default as mkfs.fat)', sizeFlag('--cluster-size'))
    .addOption(mtimeOption())
    .option('--strict', 'fail on entries FAT cannot hold (symlinks, devices, …) instead of skipping them')
    .addOption(formatOption())
    .option('--force', 'allow writing onto a block device (everything on it is lost)')
    .option('--json', 'print the result as JSON')
    .action(async (dir, o) => {
      // Checked by the spec's rules; a problem names the flag.
      const fs = readFilesystemFlags(
        {
          type: o.fat ? `fat${o.fat}` : 'vfat',
          source: dir,
          size: o.size,
          volume_label: o.label,
          volume_id: o.volumeId,
          cluster_size: o.clusterSize,
          mtime: o.mtime,
        },
        FAT_FLAGS,
      );
      await runFsBuild(io, {
        output: o.output,
        fs,
        flags: FAT_FLAGS,
        ...(o.format ? { format: o.format } : {}),
        driverOptions: {
          ...(o.strict ? { strict: true } : {}),
          ...(o.headroom !== undefined ? { headroom: o.headroom } : {}),
        },
        ...(o.json ? { json: true } : {}),
        ...(o.force ? { force: true } : {}),
      });
    });
};
