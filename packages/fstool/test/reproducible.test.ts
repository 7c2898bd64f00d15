import { createHash } from 'node:crypto';
import {
  cpSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../src/index.js';
import { buildSpecFile } from '../src/node.js';

const examples = join(import.meta.dirname, '../../../examples');
const tmp = tempDir('fstool-repro-');
const shm = statSync('/dev/shm', { throwIfNoEntry: false })?.isDirectory() ? tempDir('fstool-repro-shm-') : undefined;
afterAll(() => {
  tmp.cleanup();
  shm?.cleanup();
});

/** Copies a tree creating entries in reverse name order (another readdir order on most filesystems). */
function copyReversed(src: string, dst: string): void {
  mkdirSync(dst, { recursive: true });
  for (const name of readdirSync(src).sort().reverse()) {
    const from = join(src, name);
    const to = join(dst, name);
    const st = lstatSync(from);
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (st.isDirectory()) copyReversed(from, to);
    else cpSync(from, to);
  }
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function spec(root: string, boot: string): string {
  return `
[image]
size = "160MiB"
partition_table = "gpt"
seed = "repro-test"

[[partitions]]
name = "ESP"
type = "esp"
size = "40MiB"
  [partitions.filesystem]
  type = "fat32"
  source = "${boot}"

[[partitions]]
name = "root"
type = "linux"
size = "remaining"
  [partitions.filesystem]
  type = "ext4"
  source = "${root}"
  rootdevs = "minimal"
`;
}

describe('reproducible builds', () => {
  it('gives identical bytes from differently made copies, under other TZ and umask, raw and qcow2', async () => {
    const a = tmp.join('a');
    cpSync(join(examples, 'rootfs'), join(a, 'rootfs'), { recursive: true, verbatimSymlinks: true });
    cpSync(join(examples, 'boot'), join(a, 'boot'), { recursive: true });
    const b = (shm ?? tmp).join('b');
    copyReversed(join(examples, 'rootfs'), join(b, 'rootfs'));
    copyReversed(join(examples, 'boot'), join(b, 'boot'));
    // Other access times on the second copy; ctimes differ anyway.
    utimesSync(
      join(b, 'boot', 'config.txt'),
      new Date('2031-05-05T00:00:00Z'),
      statSync(join(b, 'boot', 'config.txt')).mtime,
    );
    writeFileSync(join(a, 'disk.toml'), spec(join(a, 'rootfs'), join(a, 'boot')));
    writeFileSync(join(b, 'disk.toml'), spec(join(b, 'rootfs'), join(b, 'boot')));
    const env = { SOURCE_DATE_EPOCH: '1700000000' };
    const outputs: string[] = [];
    const saved = { tz: process.env.TZ, umask: process.umask() };
    try {
      for (const [dir, tz, mask] of [
        [a, 'UTC', 0o022],
        [b, 'Pacific/Chatham', 0o077],
      ] as const) {
        process.env.TZ = tz;
        process.umask(mask);
        for (const ext of ['img', 'qcow2']) {
          const output = join(dir, `disk.${ext}`);
          await buildSpecFile(join(dir, 'disk.toml'), { output, registry: createRegistry(), env });
          outputs.push(output);
        }
      }
    } finally {
      process.env.TZ = saved.tz;
      process.umask(saved.umask);
    }
    const [rawA, qA, rawB, qB] = outputs.map(sha);
    expect(rawB).toBe(rawA);
    expect(qB).toBe(qA);
  });
});
