import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../src/index.js';
import { buildSpecFile, loadPlugins, OpenImage } from '../src/node.js';

const tmp = tempDir('fstool-plugin-');
afterAll(() => tmp.cleanup());

describe('third-party filesystem plugins', () => {
  it('builds a disk with a plugin type named in the spec and lists it through the same paths', async () => {
    mkdirSync(tmp.join('tree', 'etc'), { recursive: true });
    writeFileSync(tmp.join('tree', 'etc', 'motd'), 'hello from a plugin\n');
    const plugin = join(import.meta.dirname, '..', '..', '..', 'examples', 'plugins', 'flatfs.mjs');
    writeFileSync(
      tmp.join('disk.toml'),
      `plugins = ["${plugin}"]
[image]
size = "4MiB"
partition_table = "gpt"
[[partitions]]
name = "data"
type = "linux"
size = "remaining"
  [partitions.filesystem]
  type = "flatfs"
  source = "tree"
`,
    );
    const result = await buildSpecFile(tmp.join('disk.toml'), {
      output: tmp.join('disk.img'),
      registry: createRegistry(),
      env: {},
    });
    expect(result.volumes[0]?.type).toBe('flatfs');

    const registry = createRegistry();
    await loadPlugins([plugin], tmp.path, registry);
    const image = await OpenImage.open(tmp.join('disk.img'), registry);
    try {
      const info = await image.info();
      expect(info.table).toBe('gpt');
      expect(info.volumes[0]?.filesystem?.type).toBe('flatfs');
      const fs = await image.openFilesystem(1, { writable: false });
      expect((await fs.list('/etc')).map((e) => e.path)).toEqual(['/etc/motd']);
      let text = '';
      for await (const chunk of fs.read('/etc/motd')) text += new TextDecoder().decode(chunk);
      expect(text).toBe('hello from a plugin\n');
    } finally {
      await image.close();
    }
  });

  it('names a plugin that cannot be found', async () => {
    await expect(loadPlugins(['fstool-plugin-nonexistent'], tmp.path, createRegistry())).rejects.toThrow(
      /plugin "fstool-plugin-nonexistent" not found/,
    );
  });
});
