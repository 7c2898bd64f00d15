import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@fstool/testkit/node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cli, shell } from './run-cli.js';

const tmp = tempDir('fstool-plugins-');
afterAll(() => tmp.cleanup());
afterEach(() => {
  delete process.env.FSTOOL_PLUGINS;
});

/** The example plugin of docs/PLUGINS.md, used as a user would. */
const plugin = join(import.meta.dirname, '..', '..', '..', 'examples', 'plugins', 'flatfs.mjs');

mkdirSync(tmp.join('tree', 'etc'), { recursive: true });
writeFileSync(tmp.join('tree', 'etc', 'motd'), 'hello from a plugin\n');
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

describe('plugins for every command', () => {
  const disk = tmp.join('disk.img');

  it('build loads the spec plugins; without a plugin other commands cannot read the filesystem', async () => {
    const built = await cli('build', tmp.join('disk.toml'), '-o', disk);
    expect(built.code, built.err).toBe(0);
    const ls = await cli('ls', `${disk}:1`, '/');
    expect(ls.code).toBe(2);
    expect(ls.err).toMatch(/no known filesystem found/);
  });

  it('--plugin, before or after the command: info, ls, cat, stat, extract, shell', async () => {
    const p = ['--plugin', plugin];
    expect((await cli(...p, 'info', `${disk}:1`)).out).toMatch(/type:\s+flatfs/);
    expect((await cli(...p, 'ls', `${disk}:1`, '/etc')).out).toBe('motd\n');
    expect((await cli(...p, 'cat', `${disk}:1`, '/etc/motd')).bytes.toString()).toBe('hello from a plugin\n');
    expect(JSON.parse((await cli(...p, 'stat', '--json', `${disk}:1`, '/etc/motd')).out)).toMatchObject({ size: 20 });
    const out = tmp.join('out');
    expect((await cli(...p, 'extract', `${disk}:1`, out)).code).toBe(0);
    expect(readFileSync(join(out, 'etc', 'motd'), 'utf8')).toBe('hello from a plugin\n');
    // Global options may also follow the command, as users type them.
    const sh = await shell('cat /etc/motd\n', '--plugin', plugin, '--ro', `${disk}:1`);
    expect(sh.code, sh.err).toBe(0);
    expect(sh.bytes).toBe('hello from a plugin\n');
  });

  it('FSTOOL_PLUGINS works the same; a plugin reusing a built-in type name is an error', async () => {
    process.env.FSTOOL_PLUGINS = plugin;
    expect((await cli('ls', `${disk}:1`, '/etc')).out).toBe('motd\n');
    const clash = tmp.join('clash.mjs');
    writeFileSync(clash, `import p from ${JSON.stringify(plugin)};\nexport default { ...p, type: 'ext4' };\n`);
    process.env.FSTOOL_PLUGINS = clash;
    const r = await cli('ls', `${disk}:1`, '/');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /plugin ".*clash\.mjs" declares the filesystem type "ext4", which the ext4 driver already has/,
    );
  });

  it("a plugin's own spec key reaches its build; a misspelt or wrong-typed one is exit 2 with where and why", async () => {
    const spec = (fs: string) => {
      writeFileSync(
        tmp.join('keys.toml'),
        readFileSync(tmp.join('disk.toml'), 'utf8').replace(/^plugins.*\n/, '') + fs,
      );
      return tmp.join('keys.toml');
    };
    const img = tmp.join('keys.img');
    // The plugin comes from --plugin here, not from the spec.
    const built = await cli('--plugin', plugin, 'build', '--json', spec('  fill = 0x5A\n'), '-o', img);
    expect(built.code, built.err).toBe(0);
    expect(JSON.parse(built.out).volumes[0].details.fill).toBe(0x5a);
    // The partition runs to the GPT backup at the end: its last bytes before it hold the fill byte.
    const bytes = readFileSync(img);
    expect(bytes.subarray(bytes.length - 33 * 512 - 4096, bytes.length - 33 * 512).every((b) => b === 0x5a)).toBe(true);

    const typo = await cli('--plugin', plugin, 'build', spec('  fil = 1\n'), '-o', img);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain(
      'keys.toml:11: partitions[0].filesystem.fil: unknown key "fil" for the flatfs plugin (did you mean "fill"?)',
    );
    const wrong = await cli('--plugin', plugin, 'build', spec('  fill = "many"\n'), '-o', img);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain(
      'keys.toml:11: partitions[0].filesystem.fill: fill must be an integer, got "many" (for the flatfs plugin)',
    );
    const none = await cli('build', spec(''), '-o', img);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(
      /partitions\[0\]\.filesystem\.type: type "flatfs" is no known filesystem type: known are .*--plugin NAME/,
    );
  });

  it('`schema` with plugins loaded includes their own keys', async () => {
    const fill = {
      type: 'integer',
      minimum: 0,
      maximum: 255,
      default: 0,
      description: 'flatfs only: the byte the space after the contents holds',
    };
    const schema = JSON.parse((await cli('--plugin', plugin, 'schema')).out);
    expect(schema.properties.filesystem.properties.fill).toEqual(fill);
    expect(schema.properties.partitions.items.properties.filesystem.properties.fill).toEqual(fill);
    expect(JSON.parse((await cli('schema')).out).properties.filesystem.properties.fill).toBeUndefined();
  });

  it('a misspelt key of a built-in type also gets a suggestion naming where it is', async () => {
    writeFileSync(tmp.join('ext.toml'), '[filesystem]\ntype = "ext4"\nsize = "8MiB"\nblok_size = 1024\n');
    const r = await cli('build', tmp.join('ext.toml'), '-o', tmp.join('ext.img'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('ext.toml:4: filesystem.blok_size: unknown key "blok_size" (did you mean "block_size"?)');
  });
});
