import { describe, expect, it } from 'vitest';
import { type ImageSpec, parseSpec } from '../src/index.js';

describe('valid specs', () => {
  it('raspberry-pi: MBR, FAT32 boot + ext4 root filling the rest', () => {
    const spec = parseSpec(
      `# Raspberry Pi SD card
[image]
size = "2GiB"
partition_table = "mbr"
seed = "pi-image-v1"

[[partitions]]
name = "boot"
type = "fat32-lba"   # 0x0c
size = "256MiB"
bootable = true

[partitions.filesystem]
type = "fat32"
source = "boot"
volume_label = "BOOT"
volume_id = 0xDEADBEEF
cluster_size = "4KiB"

[[partitions]]
name = "rootfs"
type = 0x83
size = "remaining"

[partitions.filesystem]
type = "ext4"
source = "./rootfs"
volume_label = "rootfs"
features = ["^huge_file", "metadata_csum"]
mtime = 2024-05-01T12:00:00Z
rootdevs = "minimal"
`,
      'raspberry-pi.toml',
    );
    expect(spec).toEqual<ImageSpec>({
      kind: 'disk',
      image: { size: 2 * 2 ** 30, partitionTable: 'mbr', alignment: 2 ** 20, sectorSize: 512, seed: 'pi-image-v1' },
      partitions: [
        {
          name: 'boot',
          type: 'fat32-lba',
          size: 256 * 2 ** 20,
          bootable: true,
          attributes: [],
          filesystem: { type: 'fat32', source: 'boot', volumeLabel: 'BOOT', volumeId: 0xdeadbeef, clusterSize: 4096 },
        },
        {
          name: 'rootfs',
          type: 0x83,
          size: 'remaining',
          bootable: false,
          attributes: [],
          filesystem: {
            type: 'ext4',
            source: './rootfs',
            volumeLabel: 'rootfs',
            features: { enable: ['metadata_csum'], disable: ['huge_file'] },
            mtime: 1714564800,
            rootdevs: 'minimal',
          },
        },
      ],
      output: {},
      plugins: [],
    });
  });

  it('EFI disk: GPT, ESP + ext4 root, qcow2 output', () => {
    const spec = parseSpec(`
[image]
size = "auto"
partition_table = "gpt"
disk_guid = "A1B2C3D4-0000-4000-8000-00000000000F"
alignment = "1MiB"
sector_size = 4096

[[partitions]]
name = "EFI System"
type = "esp"
size = "100MiB"
guid = "0b9e3f5c6a1d4c2e9f702d7f1c3a8e41"
attributes = [0, "no-block-io-protocol"]
filesystem = { type = "vfat", volume_label = "ESP", volume_id = "dead-beef" }

[[partitions]]
name = "root"
type = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"
bootable = true

[partitions.filesystem]
type = "ext4"
block_size = 4096
inode_size = 256
inode_ratio = "16KiB"
reserved_percent = 1
journal_blocks = 4096
uuid = "random"
hash_seed = "3d1f5a0e-8b2c-4d7e-9f60-1a2b3c4d5e6f"
sparse = true
squash_owner = true
device_table = "devices.txt"

[output]
format = "qcow2"
cluster_size = "64KiB"
compress = true
`);
    expect(spec.kind).toBe('disk');
    if (spec.kind !== 'disk') return;
    expect(spec.image).toEqual({
      size: 'auto',
      partitionTable: 'gpt',
      alignment: 2 ** 20,
      sectorSize: 4096,
      diskGuid: 'a1b2c3d4-0000-4000-8000-00000000000f',
    });
    expect(spec.partitions[0]).toEqual({
      name: 'EFI System',
      type: 'esp',
      size: 100 * 2 ** 20,
      guid: '0b9e3f5c-6a1d-4c2e-9f70-2d7f1c3a8e41',
      bootable: false,
      attributes: [0, 'no-block-io-protocol'],
      filesystem: { type: 'vfat', volumeLabel: 'ESP', volumeId: 0xdeadbeef },
    });
    expect(spec.partitions[1]).toEqual({
      name: 'root',
      type: '4f68bce3-e8cd-4db1-96e7-fbcaf984b709',
      size: 'auto',
      bootable: true,
      attributes: [],
      filesystem: {
        type: 'ext4',
        blockSize: 4096,
        inodeSize: 256,
        inodeRatio: 16384,
        reservedPercent: 1,
        journalBlocks: 4096,
        uuid: 'random',
        hashSeed: '3d1f5a0e-8b2c-4d7e-9f60-1a2b3c4d5e6f',
        sparse: true,
        squashOwner: true,
        deviceTable: 'devices.txt',
      },
    });
    expect(spec.output).toEqual({ format: 'qcow2', clusterSize: 65536, compress: true });
  });

  it('bare ext4', () => {
    expect(
      parseSpec(`
[filesystem]
type = "EXT4"
source = "rootfs"
size = "64MiB"
inodes = 4096
features = "^has_journal, extents ,+dir_index,-huge_file"
mtime = 1700000000
`),
    ).toEqual({
      kind: 'filesystem',
      filesystem: {
        type: 'ext4',
        source: 'rootfs',
        size: 64 * 2 ** 20,
        inodes: 4096,
        features: { enable: ['extent', 'dir_index'], disable: ['has_journal', 'huge_file'] },
        mtime: 1700000000,
      },
      output: {},
      plugins: [],
    });
  });

  it('bare fat32 with the size defaulting to auto', () => {
    expect(parseSpec('[filesystem]\ntype = "fat32"\nvolume_label = "DATA"\nvolume_id = "1234ABCD"\n')).toEqual({
      kind: 'filesystem',
      filesystem: { type: 'fat32', size: 'auto', volumeLabel: 'DATA', volumeId: 0x1234abcd },
      output: {},
      plugins: [],
    });
  });

  it("the original fstool's keys build unchanged", () => {
    const spec = parseSpec(`
[filesystem]
type = "ext2"
source = "./rootfs"
block_size = 1024
journal_blocks = 1024
features = "has_journal"
rootdevs = "standard"
volume_label = "root"
mtime = 0
sparse = false
size = "32MiB"
`);
    expect(spec).toMatchObject({
      kind: 'filesystem',
      filesystem: {
        type: 'ext2',
        source: './rootfs',
        blockSize: 1024,
        journalBlocks: 1024,
        rootdevs: 'standard',
        volumeLabel: 'root',
        mtime: 0,
        sparse: false,
        size: 32 * 2 ** 20,
      },
    });
    // The original's README disk example.
    const disk = parseSpec(`
[image]
size = "64MiB"
partition_table = "gpt"

[[partitions]]
name = "EFI"
type = "esp"
size = "16MiB"

[[partitions]]
name = "root"
type = "linux"
size = "remaining"

[partitions.filesystem]
type = "ext4"
source = "./rootfs"
`);
    expect(disk).toMatchObject({
      kind: 'disk',
      partitions: [
        { name: 'EFI', type: 'esp', size: 16 * 2 ** 20 },
        { name: 'root', type: 'linux', size: 'remaining', filesystem: { type: 'ext4', source: './rootfs' } },
      ],
    });
    // FAT32 with volume_id as a plain integer, as the original took it.
    expect(parseSpec('[filesystem]\ntype = "fat32"\nsize = "64MiB"\nvolume_id = 305419896\n')).toMatchObject({
      filesystem: { volumeId: 0x12345678 },
    });
  });

  it('mtime forms: integer, offset date-time, local date-time and date (as UTC), RFC 3339 string', () => {
    const mtime = (v: string) => {
      const spec = parseSpec(`[filesystem]\ntype = "ext4"\nmtime = ${v}\n`);
      return spec.kind === 'filesystem' ? spec.filesystem.mtime : undefined;
    };
    expect(mtime('86400')).toBe(86400);
    expect(mtime('1970-01-02T02:00:00+02:00')).toBe(86400);
    expect(mtime('1970-01-02T00:00:00')).toBe(86400);
    expect(mtime('1970-01-02')).toBe(86400);
    expect(mtime('"1970-01-02T00:00:00Z"')).toBe(86400);
    expect(mtime('"1970-01-02 00:00:00"')).toBe(86400);
  });

  it("plugin types pass through when plugins are declared, their own keys raw (the plugin's to check)", () => {
    const spec = parseSpec(`
plugins = ["fstool-plugin-btrfs"]
[filesystem]
type = "btrfs"
block_size = 16384
volume_label = "a label longer than sixteen bytes"
`);
    expect(spec).toEqual({
      kind: 'filesystem',
      filesystem: {
        type: 'btrfs',
        size: 'auto',
        volumeLabel: 'a label longer than sixteen bytes',
        pluginKeys: { block_size: 16384 },
      },
      output: {},
      plugins: ['fstool-plugin-btrfs'],
    });
  });

  it('reads CRLF files (works around iarna-toml#33)', () => {
    expect(parseSpec('# comment\r\n[filesystem]\r\ntype = "ext4" # ext\r\n').kind).toBe('filesystem');
  });
});
