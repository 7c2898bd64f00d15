import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryDevice } from '@fstool/blockdev';
import { scanDirectory } from '@fstool/fs/node';
import { tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage, createRegistry, openImage, PlanError } from '../src/browser.js';
import { buildSpecFile } from '../src/node.js';

const examples = join(import.meta.dirname, '../../../examples');
const tmp = tempDir('fstool-browser-');
afterAll(() => tmp.cleanup());

// Two filesystems with sources, a device table and rootdevs: everything the planning derives.
const spec = `
[image]
size = "auto"
partition_table = "gpt"
seed = "browser-entry"

[[partitions]]
name = "boot"
type = "esp"
size = "8MiB"
  [partitions.filesystem]
  type = "fat16"
  source = "boot"
  mtime = "2024-01-01T00:00:00Z"

[[partitions]]
name = "root"
type = "linux"
size = "auto"
  [partitions.filesystem]
  type = "ext4"
  source = "rootfs"
  device_table = "device_table.txt"
  rootdevs = "minimal"
  squash_owner = true
  mtime = "2024-01-01T00:00:00Z"
`;

/** Builds `spec` through the browser entry over memory, the trees scanned from examples/. */
async function inMemory(format: 'raw' | 'qcow2') {
  const out = new MemoryDevice(0, { growable: true });
  const result = await buildImage(spec, {
    registry: createRegistry(),
    output: async () => out,
    format,
    trees: [scanDirectory(join(examples, 'boot')), scanDirectory(join(examples, 'rootfs'))],
    readText: async (name) => readFileSync(join(examples, name), 'utf8'),
  });
  return { bytes: out.bytes(), result };
}

describe('fstool/browser', () => {
  it.each(['raw', 'qcow2'] as const)(
    'gives the same %s bytes as the CLI path for the same spec and trees',
    async (format) => {
      const { bytes, result } = await inMemory(format);
      // The CLI path reads the same folders from disk (absolute paths, so the spec may live anywhere).
      const specPath = tmp.join('spec.toml');
      writeFileSync(specPath, spec.replace(/(source|device_table) = "/g, `$1 = "${examples}/`));
      const output = tmp.join(`cli.${format === 'raw' ? 'img' : 'qcow2'}`);
      await buildSpecFile(specPath, { output, registry: createRegistry() });
      expect(result).toMatchObject({ format, table: 'gpt' });
      expect(Buffer.compare(Buffer.from(bytes), readFileSync(output))).toBe(0);
    },
  );

  it('opens what it built: qcow2, GPT, a FAT and an ext4 volume', async () => {
    const { bytes } = await inMemory('qcow2');
    const image = await openImage(new MemoryDevice(bytes), createRegistry());
    try {
      const info = await image.disk.describe();
      expect(image.format).toBe('qcow2');
      expect(info.table).toBe('gpt');
      expect(info.volumes.map((v) => v.filesystem?.type)).toEqual(['fat16', 'ext4']);
      const fs = await image.disk.openFilesystem(2, { writable: false });
      expect((await fs.list('/dev')).map((e) => e.path)).toContain('/dev/console');
      await fs.close();
    } finally {
      await image.close();
    }
  });

  it('names the filesystem whose files or device table were not given', async () => {
    const build = (opts: { trees?: never[]; readText?: (n: string) => Promise<string> }) =>
      buildImage(spec, {
        registry: createRegistry(),
        output: async () => new MemoryDevice(0, { growable: true }),
        ...opts,
      });
    await expect(build({})).rejects.toThrow(
      new PlanError('partitions[0].filesystem.source: no files were given for "boot"'),
    );
    const trees = [scanDirectory(join(examples, 'boot')), scanDirectory(join(examples, 'rootfs'))] as never[];
    await expect(build({ trees })).rejects.toThrow(
      'partitions[1].filesystem.device_table: no file "device_table.txt" was given',
    );
  });
});
