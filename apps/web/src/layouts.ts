/** Starting specs for the layout picker; `source = "files"` is where the dropped files go. */
const mtime = 'mtime = "2024-01-01T00:00:00Z"';

export const LAYOUTS: Record<string, { label: string; spec: string }> = {
  ext4: {
    label: 'bare ext4',
    spec: `[filesystem]
type = "ext4"
source = "files"
size = "auto"
volume_label = "rootfs"
squash_owner = true
${mtime}
`,
  },
  fat32: {
    label: 'bare FAT32',
    spec: `[filesystem]
type = "fat32"
source = "files"
size = "40MiB"
volume_label = "DATA"
${mtime}
`,
  },
  gpt: {
    label: 'GPT: ESP + root',
    spec: `[image]
size = "auto"
partition_table = "gpt"
seed = "fstool-web"

[[partitions]]
name = "ESP"
type = "esp"
size = "40MiB"
  [partitions.filesystem]
  type = "fat32"
  volume_label = "ESP"
  ${mtime}

[[partitions]]
name = "root"
type = "linux-root-x86-64"
size = "auto"
  [partitions.filesystem]
  type = "ext4"
  source = "files"
  volume_label = "root"
  squash_owner = true
  ${mtime}
`,
  },
  rpi: {
    label: 'MBR: Raspberry Pi',
    spec: `[image]
size = "auto"
partition_table = "mbr"
seed = "fstool-web"

[[partitions]]
name = "boot"
type = "fat32"
size = "40MiB"
bootable = true
  [partitions.filesystem]
  type = "fat32"
  volume_label = "BOOT"
  ${mtime}

[[partitions]]
name = "root"
type = "linux"
size = "auto"
  [partitions.filesystem]
  type = "ext4"
  source = "files"
  volume_label = "rootfs"
  squash_owner = true
  rootdevs = "standard"
  ${mtime}
`,
  },
};
