import { Option } from '@commander-js/extra-typings';
import { readFilesystemFlags } from '@fstool/spec';

import {
  FS_FLAGS,
  formatOption,
  headroomOption,
  intOption,
  mtimeOption,
  runFsBuild,
  sizeFlag,
  sizeOption,
  xattrsOption,
} from './fs-build.js';
import type { Register } from './index.js';

/** The flag each spec key of an ext build comes from, for messages. */
const EXT_FLAGS = {
  ...FS_FLAGS,
  type: '--kind',
  sparse: '--no-sparse',
  block_size: '--block-size',
  inode_size: '--inode-size',
  inodes: '--inodes',
  uuid: '--uuid',
  hash_seed: '--hash-seed',
  features: '--features',
  squash_owner: '--squash-owner',
  device_table: '--device-table',
  rootdevs: '--rootdevs',
  xattrs: '--xattrs',
};

export const registerExtBuild: Register = (program, io) => {
  program
    .command('ext-build')
    .description('build an ext2/ext3/ext4 image from a directory (like genext2fs or mke2fs -d)')
    .argument('<dir>', 'source directory')
    .requiredOption('-o, --output <file>', 'image to write (replaced atomically on success)')
    .addOption(
      new Option('-t, --kind <kind>', 'filesystem kind (-t as mke2fs)')
        .choices(['ext2', 'ext3', 'ext4'] as const)
        .default('ext2' as const),
    )
    .addOption(sizeOption())
    .addOption(headroomOption())
    .option(
      '--block-size <n>',
      'block size 1024, 2048 or 4096 (default: as mke2fs for the size)',
      intOption('--block-size'),
    )
    .option('--inode-size <n>', 'inode size 128 or 256', intOption('--inode-size'))
    .option('--inodes <n>', 'number of inodes', intOption('--inodes'))
    .option('--label <label>', 'volume label (up to 16 bytes)')
    .option('--uuid <uuid>', 'filesystem UUID (default random)')
    .option('--hash-seed <uuid>', 'directory hash seed (default random)')
    .option('--features <list>', 'features to add/remove, e.g. +inline_data,-huge_file (or ^huge_file)')
    .option('--journal-size <size>', 'journal size (ext3/ext4), e.g. 4MiB', sizeFlag('--journal-size'))
    .option('--squash-owner', 'make root own every file (genext2fs -U)')
    .addOption(mtimeOption())
    .option('--device-table <file>', 'genext2fs device table to add or override entries')
    .addOption(new Option('--rootdevs <preset>', '/dev nodes to add').choices(['none', 'minimal', 'standard'] as const))
    .option('--no-sparse', 'keep all-zero file blocks allocated and written instead of leaving holes')
    .addOption(xattrsOption())
    .option('--cluster-size <size>', 'qcow2 cluster size when writing qcow2', sizeFlag('--cluster-size'))
    .addOption(formatOption())
    .option('--force', 'allow writing onto a block device (everything on it is lost)')
    .option('--json', 'print the result as JSON')
    .action(async (dir, o) => {
      // Checked by the spec's rules; a problem names the flag.
      const fs = readFilesystemFlags(
        {
          type: o.kind,
          source: dir,
          size: o.size,
          sparse: o.sparse,
          block_size: o.blockSize,
          inode_size: o.inodeSize,
          inodes: o.inodes,
          volume_label: o.label,
          uuid: o.uuid,
          hash_seed: o.hashSeed,
          features: o.features,
          squash_owner: o.squashOwner,
          mtime: o.mtime,
          device_table: o.deviceTable,
          rootdevs: o.rootdevs,
          xattrs: o.xattrs,
        },
        EXT_FLAGS,
      );
      await runFsBuild(io, {
        output: o.output,
        fs,
        flags: EXT_FLAGS,
        ...(o.format ? { format: o.format } : {}),
        ...(o.clusterSize !== undefined ? { clusterSize: o.clusterSize } : {}),
        driverOptions: {
          ...(o.headroom !== undefined ? { headroom: o.headroom } : {}),
          ...(o.journalSize !== undefined ? { journalSize: o.journalSize } : {}),
        },
        ...(o.json ? { json: true } : {}),
        ...(o.force ? { force: true } : {}),
      });
    });
};
