import { existsSync, readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { FsError } from '@fstool/blockdev';

/** The image is mounted: edits through fstool would be lost (or corrupt it) when the kernel writes back. */
export class MountedError extends FsError {
  constructor(message: string) {
    super('MOUNTED', message);
  }
}

const readOr = (path: string, fallback = ''): string => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
};

/** Linux dev_t split as glibc's major()/minor() do. */
function majorMinor(dev: number): string {
  const hi = Math.floor(dev / 2 ** 32);
  const lo = dev >>> 0;
  const major = ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0);
  const minor = (lo & 0xff) | ((lo >>> 12) & 0xfff00);
  return `${major}:${minor}`;
}

/** `M:m` of a block device in sysfs and of its partitions, with the device's name. */
function withPartitions(sysDir: string, name: string, out: Map<string, string>): void {
  out.set(readOr(`${sysDir}/dev`), name);
  for (const sub of safeReaddir(sysDir)) {
    if (existsSync(`${sysDir}/${sub}/partition`)) out.set(readOr(`${sysDir}/${sub}/dev`), `/dev/${sub}`);
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The block devices that show the image: the device itself, or every loop device backed by the file. */
function devicesOf(path: string, st: Stats): Map<string, string> {
  const out = new Map<string, string>();
  if (st.isBlockDevice()) {
    const id = majorMinor(st.rdev);
    withPartitions(`/sys/dev/block/${id}`, path, out);
    out.set(id, path);
    return out;
  }
  for (const loop of safeReaddir('/sys/block').filter((n) => n.startsWith('loop'))) {
    const backing = readOr(`/sys/block/${loop}/loop/backing_file`).replace(/ \(deleted\)$/, '');
    if (!backing) continue;
    let b: Stats;
    try {
      b = statSync(backing);
    } catch {
      continue;
    }
    if (b.dev === st.dev && b.ino === st.ino) withPartitions(`/sys/block/${loop}`, `/dev/${loop}`, out);
  }
  return out;
}

/** Mount points (from /proc/self/mountinfo) of filesystems on the devices given, with the device. */
function mountsOn(devices: Map<string, string>): Array<{ mountPoint: string; device: string }> {
  const found: Array<{ mountPoint: string; device: string }> = [];
  for (const line of readOr('/proc/self/mountinfo').split('\n')) {
    const f = line.split(' ');
    const device = devices.get(f[2] ?? '');
    if (device === undefined || f[4] === undefined) continue;
    const mountPoint = f[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    found.push({ mountPoint, device });
  }
  return found;
}

/**
 * Refuses to edit an image the kernel has mounted — a block device, or a file behind a loop
 * device (matched by device and inode, so any name of the file counts). The kernel caches the
 * filesystem and writes its own view back, so an edit beside it is lost at umount or corrupts it.
 */
export function assertNotMounted(path: string): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    return; // opening it reports the problem
  }
  const [m] = mountsOn(devicesOf(path, st));
  if (!m) return;
  const via = m.device === path ? '' : ` (through ${m.device})`;
  throw new MountedError(
    `${path} is mounted at ${m.mountPoint}${via}: an edit would be lost or corrupt it at umount; unmount it first`,
  );
}
