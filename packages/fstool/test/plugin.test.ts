import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpecError } from '@fstool/spec';
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

  it("takes the plugin's own spec keys: checked against its declaration, the value reaches build()", async () => {
    const plugin = join(import.meta.dirname, '..', '..', '..', 'examples', 'plugins', 'flatfs.mjs');
    const spec = (keys: string) => `[filesystem]\ntype = "flatfs"\nsize = "1MiB"\n${keys}\n`;
    // Loaded by the caller (as --plugin does), not named in the spec.
    const registry = createRegistry();
    await loadPlugins([plugin], tmp.path, registry);
    const build = (keys: string) => {
      writeFileSync(tmp.join('flat.toml'), spec(keys));
      return buildSpecFile(tmp.join('flat.toml'), { output: tmp.join('flat.img'), registry, env: {} });
    };

    const built = await build('fill = 0xAA');
    expect(built.volumes[0]?.details.fill).toBe(0xaa);
    const bytes = readFileSync(tmp.join('flat.img'));
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('FLATFS1\0');
    // The space after the (empty) tree's index holds the fill byte, to the last byte of the filesystem.
    expect(bytes.length).toBe(2 ** 20);
    expect(bytes.subarray(-4096).every((b) => b === 0xaa)).toBe(true);
    expect((await build('')).volumes[0]?.details.fill).toBe(0);

    await expect(build('fil = 1')).rejects.toThrow(
      `${tmp.join('flat.toml')}:4: filesystem.fil: unknown key "fil" for the flatfs plugin (did you mean "fill"?)`,
    );
    await expect(build('fill = "lots"')).rejects.toThrow(
      'filesystem.fill: fill must be an integer, got "lots" (for the flatfs plugin)',
    );
    await expect(build('fill = 256')).rejects.toThrow(/filesystem\.fill: fill must be from 0 to 255, got 256/);
  });

  it('a type no loaded driver has: the error names it, the known types and --plugin', async () => {
    writeFileSync(tmp.join('nope.toml'), '[filesystem]\ntype = "flatfs"\nsize = "1MiB"\n');
    const err = await buildSpecFile(tmp.join('nope.toml'), {
      output: tmp.join('nope.img'),
      registry: createRegistry(),
      env: {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
    expect((err as Error).message).toMatch(
      /nope\.toml:2: filesystem\.type: type "flatfs" is no known filesystem type: known are .*ext4.*vfat; a plugin's type needs its plugin \(--plugin NAME/,
    );
  });

  it('refuses a plugin whose spec keys cannot work: an unknown value type, or a key fstool reads itself', async () => {
    const plugin = join(import.meta.dirname, '..', '..', '..', 'examples', 'plugins', 'flatfs.mjs');
    const variant = (name: string, keys: string) => {
      writeFileSync(
        tmp.join(name),
        `import p from ${JSON.stringify(plugin)};\nexport default { ...p, type: '${name}', specKeys: ${keys} };\n`,
      );
      return loadPlugins([`./${name}`], tmp.path, createRegistry());
    };
    await expect(variant('a.mjs', "{ fill: { type: 'float' } }")).rejects.toThrow(
      'plugin "./a.mjs" declares the spec key "fill" with type "float" (use "string", "integer", "number", "boolean" or "size")',
    );
    await expect(variant('b.mjs', "{ source: { type: 'string' } }")).rejects.toThrow(
      'plugin "./b.mjs" declares the spec key "source", which fstool reads for every type',
    );
  });

  it('names a plugin that cannot be found', async () => {
    await expect(loadPlugins(['fstool-plugin-nonexistent'], tmp.path, createRegistry())).rejects.toThrow(
      /plugin "fstool-plugin-nonexistent" not found/,
    );
  });
});
