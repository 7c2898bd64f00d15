import { InvalidArgumentError } from '@fstool/blockdev';
import type { Entry, SourceTree } from './entry.js';
import { overlayTree } from './overlay.js';

export type RootDevsPreset = 'none' | 'minimal' | 'standard';
export const ROOT_DEVS_PRESETS: readonly RootDevsPreset[] = ['none', 'minimal', 'standard'];

/** Groups that are the same number on Debian, Fedora, Arch and Alpine. */
const TTY_GID = 5;
const DISK_GID = 6;

type Node = [name: string, kind: 'char' | 'block', mode: number, major: number, minor: number, gid?: number];

/** Nodes every Linux userspace expects before udev/devtmpfs (numbers from the kernel's devices.txt). */
const MINIMAL: Node[] = [
  ['console', 'char', 0o600, 5, 1],
  ['null', 'char', 0o666, 1, 3],
  ['zero', 'char', 0o666, 1, 5],
  ['ptmx', 'char', 0o666, 5, 2],
  ['tty', 'char', 0o666, 5, 0],
  ['fuse', 'char', 0o666, 10, 229],
  ['random', 'char', 0o666, 1, 8],
  ['urandom', 'char', 0o666, 1, 9],
];

function* standardNodes(): Generator<Node> {
  for (let i = 0; i < 16; i++) yield [`tty${i}`, 'char', 0o620, 4, i, TTY_GID];
  for (let i = 0; i < 4; i++) yield [`ttyS${i}`, 'char', 0o660, 4, 64 + i];
  yield ['kmsg', 'char', 0o644, 1, 11];
  yield ['mem', 'char', 0o640, 1, 1];
  yield ['port', 'char', 0o640, 1, 4];
  yield ['full', 'char', 0o666, 1, 7];
  yield ['loop-control', 'char', 0o660, 10, 237, DISK_GID];
  for (let i = 0; i < 8; i++) yield [`loop${i}`, 'block', 0o660, 7, i, DISK_GID];
  // SCSI/SATA/USB disks: 16 minors per disk; virtio-blk: major 254 (dynamic in the kernel, 254 in practice).
  for (const [prefix, major] of [
    ['sd', 8],
    ['vd', 254],
  ] as const) {
    for (let d = 0; d < 4; d++) {
      const name = `${prefix}${String.fromCharCode(97 + d)}`;
      for (let p = 0; p <= 4; p++) yield [p ? `${name}${p}` : name, 'block', 0o660, major, d * 16 + p, DISK_GID];
    }
  }
  // MMC/SD cards: 8 minors per card by default.
  for (let p = 0; p <= 4; p++) yield [p ? `mmcblk0p${p}` : 'mmcblk0', 'block', 0o660, 179, p, DISK_GID];
}

/**
 * The device nodes of a preset, as entries under /dev (not sorted; feed them to a tree).
 * `minimal`: console null zero ptmx tty fuse random urandom. `standard` adds tty0–15, ttyS0–3,
 * kmsg, mem, port, full, loop-control, loop0–7, sda–sdd and vda–vdd with partitions 1–4, and
 * mmcblk0 with p1–p4. Owners are root; ttys are group tty (5), disks group disk (6).
 */
export function rootDevices(preset: RootDevsPreset, opts: { mtime?: number } = {}): Entry[] {
  if (!ROOT_DEVS_PRESETS.includes(preset)) {
    throw new InvalidArgumentError(`unknown rootdevs preset "${preset}" (one of ${ROOT_DEVS_PRESETS.join(', ')})`);
  }
  if (preset === 'none') return [];
  const t = opts.mtime ?? 0;
  const nodes = preset === 'standard' ? [...MINIMAL, ...standardNodes()] : MINIMAL;
  return nodes.map(([name, kind, mode, major, minor, gid]) => ({
    path: `/dev/${name}`,
    kind,
    mode,
    uid: 0,
    gid: gid ?? 0,
    mtime: t,
    atime: t,
    ctime: t,
    size: 0,
    rdev: { major, minor },
  }));
}

/**
 * A tree with a preset's device nodes added under /dev (created 0755 root:root when missing).
 * Nodes replace entries of the same name, except directories, which are an error.
 */
export function withRootDevices(tree: SourceTree, preset: RootDevsPreset, opts: { mtime?: number } = {}): SourceTree {
  if (preset === 'none') return tree;
  const items = rootDevices(preset, opts).map((e) => ({ path: e.path, apply: () => e, origin: `rootdevs ${preset}` }));
  return overlayTree(tree, items, opts.mtime === undefined ? {} : { parentTime: opts.mtime });
}
