import { describe, expect, it } from 'vitest';
import { checkPluginKeys, type KnownTypes, parseSpec, SpecError, type SpecIssue, safeParseSpec } from '../src/index.js';

/** A loaded plugin as the facade's registry would describe it. */
const flatfs = {
  type: 'flatfs',
  specKeys: {
    fill: { type: 'integer', min: 0, max: 255, default: 0, description: 'the byte unused space holds' },
    comment: { type: 'string' },
    mode: { type: 'string', enum: ['fast', 'small'] },
    chunk: { type: 'size', min: 512 },
    verify: { type: 'boolean' },
  },
} as const;
const known: KnownTypes = {
  plugin: (type) => (type === 'flatfs' ? flatfs : undefined),
  types: () => ['ext2', 'ext3', 'ext4', 'fat12', 'fat16', 'fat32', 'flatfs', 'vfat'],
};

const disk = (fs: string) => `plugins = ["./flatfs.mjs"]
[image]
size = "8MiB"
partition_table = "gpt"
[[partitions]]
type = "linux"
size = "2MiB"
filesystem = { type = "ext4" }
[[partitions]]
type = "linux"
[partitions.filesystem]
type = "flatfs"
${fs}
`;

/** The issues checkPluginKeys throws for a spec that parses. */
function issues(text: string): SpecIssue[] {
  try {
    checkPluginKeys(parseSpec(text), known, { text, file: 'disk.toml' });
  } catch (e) {
    if (e instanceof SpecError) return e.issues;
    throw e;
  }
  throw new Error('expected problems');
}

describe("a plugin's own spec keys", () => {
  it('declared keys are checked, converted and handed over in camelCase with defaults', () => {
    const text = disk('comment = "hi"\nchunk = "4KiB"\nmode = "fast"\nverify = true\nxattrs = "none"');
    const spec = parseSpec(text);
    expect(spec.kind === 'disk' && spec.partitions[1]?.filesystem).toMatchObject({
      type: 'flatfs',
      xattrs: 'none',
      pluginKeys: { comment: 'hi', chunk: '4KiB', mode: 'fast', verify: true },
    });
    expect(checkPluginKeys(spec, known)).toEqual([
      undefined,
      { fill: 0, comment: 'hi', mode: 'fast', chunk: 4096, verify: true },
    ]);
  });

  it('a misspelt key names where it is, the plugin and the key it is close to', () => {
    expect(issues(disk('fil = 3\nvolume_lable = "x"\nzzz = 1'))).toEqual([
      {
        path: 'partitions[1].filesystem.fil',
        line: 13,
        column: 1,
        message: 'unknown key "fil" for the flatfs plugin (did you mean "fill"?)',
      },
      {
        path: 'partitions[1].filesystem.volume_lable',
        line: 14,
        column: 1,
        message: 'unknown key "volume_lable" for the flatfs plugin (did you mean "volume_label"?)',
      },
      { path: 'partitions[1].filesystem.zzz', line: 15, column: 1, message: 'unknown key "zzz" for the flatfs plugin' },
    ]);
    expect(() =>
      checkPluginKeys(parseSpec(disk('fil = 3')), known, { text: disk('fil = 3'), file: 'disk.toml' }),
    ).toThrow(
      'disk.toml:13: partitions[1].filesystem.fil: unknown key "fil" for the flatfs plugin (did you mean "fill"?)',
    );
  });

  it('wrong types, bounds, values outside the enum, and a missing required key', () => {
    expect(
      issues(disk('fill = "x"\ncomment = 7\nmode = "slow"\nchunk = 100\nverify = "yes"')).map((i) => i.message),
    ).toEqual([
      'fill must be an integer, got "x" (for the flatfs plugin)',
      'comment must be a string, got 7 (for the flatfs plugin)',
      'mode must be "fast" or "small", got "slow" (for the flatfs plugin)',
      'chunk must be at least 512 bytes, got 100 bytes (for the flatfs plugin)',
      'verify must be true or false, got "yes" (for the flatfs plugin)',
    ]);
    expect(issues(disk('fill = 256'))[0]?.message).toBe('fill must be from 0 to 255, got 256 (for the flatfs plugin)');
    const strict: KnownTypes = {
      ...known,
      plugin: () => ({ type: 'flatfs', specKeys: { seed: { type: 'integer', required: true } } }),
    };
    expect(() => checkPluginKeys(parseSpec(disk('')), strict)).toThrow(
      'partitions[1].filesystem.seed: seed is required for the flatfs plugin (an integer)',
    );
  });

  it('a plugin that declares no keys takes none of its own', () => {
    const bare: KnownTypes = { ...known, plugin: () => ({ type: 'flatfs' }) };
    const text = disk('block_size = 4096');
    expect(() => checkPluginKeys(parseSpec(text), bare)).toThrow(
      'partitions[1].filesystem.block_size: unknown key "block_size" for the flatfs plugin',
    );
    expect(checkPluginKeys(parseSpec(disk('volume_label = "x"')), bare)).toEqual([undefined, {}]);
  });

  it('a type no driver has is named with the known types and how to load a plugin', () => {
    const text = disk('').replace('"flatfs"', '"flatfz"');
    expect(issues(text)).toEqual([
      {
        path: 'partitions[1].filesystem.type',
        line: 12,
        column: 1,
        message:
          'type "flatfz" is no known filesystem type (did you mean "flatfs"?): known are ext2, ext3, ext4, fat12, ' +
          "fat16, fat32, flatfs, vfat; a plugin's type needs its plugin (--plugin NAME, FSTOOL_PLUGINS or the " +
          "spec's plugins = [...])",
      },
    ]);
  });

  it('plugins loaded outside the spec: the parser takes any type when told so', () => {
    const text = '[filesystem]\ntype = "flatfs"\nfill = 1\n';
    expect(safeParseSpec(text).ok).toBe(false);
    expect(parseSpec(text, 'x.toml', { plugins: true })).toMatchObject({ filesystem: { pluginKeys: { fill: 1 } } });
  });

  it('built-in types keep their own checks: a misspelt key gets a suggestion naming the partition', () => {
    const r = safeParseSpec(
      disk('').replace('filesystem = { type = "ext4" }', 'filesystem = { type = "ext4", blok_size = 1024 }'),
    );
    expect(r.ok ? [] : r.issues).toEqual([
      {
        path: 'partitions[0].filesystem.blok_size',
        line: 8,
        column: 31,
        message: 'unknown key "blok_size" (did you mean "block_size"?)',
      },
    ]);
  });
});
