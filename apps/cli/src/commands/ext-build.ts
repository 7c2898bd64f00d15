import { Option } from '@commander-js/extra-typings';
import type { BareFilesystemSpec } from '@fstool/spec';
import { parseSize } from '@fstool/spec';

import {
  formatOption,
  headroomOption,
  intOption,
  mtimeOption,
  runFsBuild,
  sizeOption,
  xattrsOption,
} from './fs-build.js';
import type { Register } from './index.js';

export const registerExtBuild: Register = (program, io) => {
  program
    .command('ext-build')
    .description('build an ext2/ext3/ext4 image from a directory (like genext2fs or mke2fs -d)')
    .argument('<dir>', 'source directory')
    .requiredOption('-o, --output <file>', 'image to write (replaced atomically on success)')
    .addOption(
      new Option('--kind <kind>', 'filesystem kind')
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
    .option('--journal-size <size>', 'journal size (ext3/ext4), e.g. 4MiB', (v) => parseSize(v))
    .option('--squash-owner', 'make root own every file (genext2fs -U)')
    .addOption(mtimeOption())
    .option('--device-table <file>', 'genext2fs device table to add or override entries')
    .addOption(new Option('--rootdevs <preset>', '/dev nodes to add').choices(['none', 'minimal', 'standard'] as const))
    .option('--no-sparse', 'keep all-zero file blocks allocated and written instead of leaving holes')
    .addOption(xattrsOption())
    .option('--cluster-size <size>', 'qcow2 cluster size when writing qcow2', (v) => parseSize(v))
    .addOption(formatOption())
    .option('--force', 'allow writing onto a block device (everything on it is lost)')
    .option('--json', 'print the result as JSON')
    .action(async (dir, o) => {
      const fs: BareFilesystemSpec = { type: o.kind, source: dir, size: o.size, sparse: o.sparse };
      if (o.blockSize !== undefined) fs.blockSize = o.blockSize;
      if (o.inodeSize !== undefined) fs.inodeSize = o.inodeSize;
      if (o.inodes !== undefined) fs.inodes = o.inodes;
      if (o.label !== undefined) fs.volumeLabel = o.label;
      if (o.uuid !== undefined) fs.uuid = o.uuid;
      if (o.hashSeed !== undefined) fs.hashSeed = o.hashSeed;
      if (o.squashOwner) fs.squashOwner = true;
      if (o.mtime !== undefined) fs.mtime = o.mtime;
      if (o.deviceTable !== undefined) fs.deviceTable = o.deviceTable;
      if (o.rootdevs !== undefined) fs.rootdevs = o.rootdevs;
      if (o.xattrs !== undefined) fs.xattrs = o.xattrs;
      await runFsBuild(io, {
        output: o.output,
        fs,
        ...(o.format ? { format: o.format } : {}),
        ...(o.clusterSize !== undefined ? { clusterSize: o.clusterSize } : {}),
        driverOptions: {
          ...(o.headroom !== undefined ? { headroom: o.headroom } : {}),
          ...(o.features !== undefined ? { features: o.features } : {}),
          ...(o.journalSize !== undefined ? { journalSize: o.journalSize } : {}),
        },
        ...(o.json ? { json: true } : {}),
        ...(o.force ? { force: true } : {}),
      });
    });
};
