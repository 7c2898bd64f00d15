import { describe, expect, it } from 'vitest';
import { parseSpec, SpecError, type SpecIssue, safeParseSpec } from '../src/index.js';

/** The issues a spec produces (it must fail). */
function issues(text: string): SpecIssue[] {
  const r = safeParseSpec(text);
  if (r.ok) throw new Error(`expected errors, got ${JSON.stringify(r.spec)}`);
  return r.issues;
}

const DISK = `[image]
size = "1GiB"
partition_table = "gpt"
`;

describe('broken specs', () => {
  it('TOML syntax error: line and column', () => {
    expect(issues('[filesystem]\ntype = "ext4"\nsize = "64MiB\n')).toEqual([
      {
        path: '',
        line: 3,
        column: 14,
        message: 'TOML syntax error: Unterminated string',
      },
    ]);
    expect(issues('[filesystem]\ntype = "ext4"\ntype = "ext2"\n')).toEqual([
      { path: '', line: 3, column: 14, message: "TOML syntax error: Can't redefine existing key" },
    ]);
  });

  it('an impossible date is a syntax issue, not a TypeError (found by the fuzzer)', () => {
    const found = issues('[image]\nsize = "1GiB"\nmtime = 2024-13-45T99:99:99Z\n');
    expect(found[0]?.message).toMatch(/TOML syntax error: Invalid Datetime/);
    expect(() => parseSpec('a = 2024-13-45T99:99:99Z\n')).toThrow(SpecError);
  });

  it('unknown key with a suggestion', () => {
    expect(issues('[filesystem]\ntype = "ext4"\nblocksize = 4096\nvolume_lable = "x"\nlabel = "y"\nzzz = 1\n')).toEqual(
      [
        {
          path: 'filesystem.blocksize',
          line: 3,
          column: 1,
          message: 'unknown key "blocksize" (did you mean "block_size"?)',
        },
        {
          path: 'filesystem.volume_lable',
          line: 4,
          column: 1,
          message: 'unknown key "volume_lable" (did you mean "volume_label"?)',
        },
        { path: 'filesystem.label', line: 5, column: 1, message: 'unknown key "label" (did you mean "volume_label"?)' },
        { path: 'filesystem.zzz', line: 6, column: 1, message: 'unknown key "zzz"' },
      ],
    );
    expect(issues(`${DISK}[[partition]]\ntype = "linux"\nsize = "1MiB"\n`)).toContainEqual({
      path: 'partition',
      line: 4,
      column: 1,
      message: 'unknown key "partition" (did you mean "partitions"?)',
    });
  });

  it('bad size', () => {
    expect(issues('[filesystem]\ntype = "ext4"\nsize = "64 MegaBytes"\n')).toEqual([
      {
        path: 'filesystem.size',
        line: 3,
        column: 1,
        message: 'size must be "auto", a size like "64MiB", "1G", "512K" or a number of bytes, got "64 MegaBytes"',
      },
    ]);
    expect(issues(`${DISK}[[partitions]]\ntype = "linux"\nsize = "1000"\n`)).toEqual([
      {
        path: 'partitions[0].size',
        line: 6,
        column: 1,
        message: 'size must be a non-zero multiple of the 512-byte sector, got 1000 bytes',
      },
    ]);
    expect(issues('[filesystem]\ntype = "ext4"\nsize = 9007199254740993\n')).toEqual([
      { path: 'filesystem.size', line: 3, column: 1, message: 'size must be at most 2^53 bytes, got a larger integer' },
    ]);
  });

  it('remaining not last', () => {
    expect(
      issues(`${DISK}
[[partitions]]
name = "root"
type = "linux"
size = "remaining"

[[partitions]]
name = "swap"
type = "linux-swap"
size = "64MiB"
`),
    ).toEqual([
      {
        path: 'partitions[0].size',
        line: 8,
        column: 1,
        message: 'size "remaining" is only allowed on the last partition (this is 1 of 2)',
      },
    ]);
  });

  it('duplicate name', () => {
    expect(
      issues(`${DISK}
[[partitions]]
name = "data"
type = "linux"
size = "8MiB"

[[partitions]]
name = "data"
type = "linux"
size = "8MiB"
`),
    ).toEqual([
      { path: 'partitions[1].name', line: 11, column: 1, message: 'name "data" is already used by partitions[0]' },
    ]);
  });

  it('bad block size, in a partition filesystem', () => {
    expect(
      issues(`${DISK}
[[partitions]]
type = "linux"
size = "8MiB"

[[partitions]]
type = "linux"
size = "8MiB"

[[partitions]]
type = "linux"
size = "8MiB"
[partitions.filesystem]
type = "ext4"
block_size = 3000
`),
    ).toEqual([
      {
        path: 'partitions[2].filesystem.block_size',
        line: 18,
        column: 1,
        message: 'block_size must be 1024, 2048 or 4096, got 3000',
      },
    ]);
  });

  it('FAT keys on ext and ext keys on FAT name the key', () => {
    expect(issues('[filesystem]\ntype = "ext4"\nvolume_id = 1\ncluster_size = 4096\n')).toEqual([
      {
        path: 'filesystem.volume_id',
        line: 3,
        column: 1,
        message: 'volume_id is a FAT option; ext4 is an ext filesystem',
      },
      {
        path: 'filesystem.cluster_size',
        line: 4,
        column: 1,
        message: 'cluster_size is a FAT option; ext4 is an ext filesystem',
      },
    ]);
    expect(issues('[filesystem]\ntype = "fat16"\njournal_blocks = 1024\n')).toEqual([
      {
        path: 'filesystem.journal_blocks',
        line: 3,
        column: 1,
        message: 'journal_blocks is an ext option; fat16 is a FAT filesystem',
      },
    ]);
  });

  it('unknown filesystem type without plugins lists the known ones', () => {
    expect(issues('[filesystem]\ntype = "ex4"\n')).toEqual([
      {
        path: 'filesystem.type',
        line: 2,
        column: 1,
        message:
          'type must be "ext2", "ext3", "ext4", "fat12", "fat16", "fat32" or "vfat" (or a plugin\'s type, with ' +
          'plugins = [...] declared), got "ex4" (did you mean "ext4"?)',
      },
    ]);
  });

  it('value rules: labels, inode size, journal, features, volume id, mtime, uuid', () => {
    expect(
      issues(`[filesystem]
type = "ext2"
volume_label = "a label of 17 byte"
block_size = 1024
inode_size = 2048
journal_blocks = 2048
features = "extnts,^dir_index,dir_index"
mtime = "yesterday"
uuid = "not-a-uuid"
inodes = 100
inode_ratio = 4096
`),
    ).toEqual([
      {
        path: 'filesystem.volume_label',
        line: 3,
        column: 1,
        message: 'volume_label must be at most 16 bytes for ext, got 18 ("a label of 17 byte")',
      },
      {
        path: 'filesystem.inode_size',
        line: 5,
        column: 1,
        message: 'inode_size must be a power of two from 128 to 1024 (the block size is 1024), got 2048',
      },
      {
        path: 'filesystem.journal_blocks',
        line: 6,
        column: 1,
        message: 'journal_blocks needs a journal: ext2 has none (use ext3 or ext4)',
      },
      {
        path: 'filesystem.features',
        line: 7,
        column: 1,
        message: 'features names an unknown feature "extnts" (did you mean "extent"?)',
      },
      { path: 'filesystem.features', line: 7, column: 1, message: 'features turns "dir_index" both on and off' },
      {
        path: 'filesystem.mtime',
        line: 8,
        column: 1,
        message: 'mtime must be seconds since 1970 or a date like 2024-01-01T00:00:00Z, got "yesterday"',
      },
      {
        path: 'filesystem.uuid',
        line: 9,
        column: 1,
        message: 'uuid must be "random" or a UUID like "0b9e3f5c-6a1d-4c2e-9f70-2d7f1c3a8e41", got "not-a-uuid"',
      },
      {
        path: 'filesystem.inode_ratio',
        line: 11,
        column: 1,
        message: 'inode_ratio cannot be set together with inodes (set one of them)',
      },
    ]);
    expect(issues('[filesystem]\ntype = "vfat"\nvolume_label = "BOOT:1"\nvolume_id = "xyz"\n')).toEqual([
      {
        path: 'filesystem.volume_label',
        line: 3,
        column: 1,
        message: 'volume_label must not contain ":" (FAT labels are printable ASCII without "*+,./:;<=>?[\\]|)',
      },
      {
        path: 'filesystem.volume_id',
        line: 4,
        column: 1,
        message:
          'volume_id must be a 32-bit number (0xDEADBEEF) or 8 hex digits ("DEADBEEF" or "dead-beef"), got "xyz"',
      },
    ]);
  });

  it('disk rules: auto image with remaining, mbr limits, GPT-only keys, partitions that do not fit', () => {
    const five = Array.from({ length: 5 }, (_, i) => `[[partitions]]\nname = "p${i}"\ntype = 0x83\nsize = "1MiB"\n`);
    expect(
      issues(`[image]\nsize = "auto"\npartition_table = "mbr"\ndisk_guid = "a1b2c3d4-0000-4000-8000-00000000000f"\n
${five.join('')}guid = "a1b2c3d4-0000-4000-8000-00000000000f"\n[[partitions]]\ntype = "linux"\nsize = "remaining"\n`),
    ).toEqual([
      { path: 'image.disk_guid', line: 4, column: 1, message: 'disk_guid is for GPT disks only' },
      {
        path: 'partitions',
        line: 6,
        column: 1,
        message: 'mbr holds at most 4 partitions (logical partitions are not supported; use gpt), got 6',
      },
      { path: 'partitions[4].guid', line: 26, column: 1, message: 'guid is for GPT partitions only' },
      {
        path: 'partitions[5].size',
        line: 29,
        column: 1,
        message: 'size "remaining" needs a fixed [image] size (with size = "auto" there is nothing left to fill)',
      },
    ]);
    expect(
      issues(
        `[image]\nsize = "10MiB"\npartition_table = "gpt"\n[[partitions]]\ntype = "linux"\nsize = "8MiB"\n[[partitions]]\ntype = "linux"\nsize = "8MiB"\n`,
      ),
    ).toEqual([
      {
        path: 'image.size',
        line: 2,
        column: 1,
        message:
          'size 10 MiB is too small: the partitions need at least 17.02 MiB (17842688 bytes), with 1 MiB alignment and GPT headers',
      },
    ]);
    // Exactly full: 1 MiB before the partition, 33 sectors after it for the backup GPT.
    const exact = 2 ** 20 + 8 * 2 ** 20 + 33 * 512;
    const oneGpt = (size: number) =>
      safeParseSpec(
        `[image]\nsize = ${size}\npartition_table = "gpt"\n[[partitions]]\ntype = "linux"\nsize = "8MiB"\n`,
      );
    expect(oneGpt(exact)).toMatchObject({ ok: true });
    expect(oneGpt(exact - 512)).toMatchObject({ ok: false });
    expect(issues(`${DISK}[[partitions]]\ntype = 0x83\nsize = "8MiB"\n`)).toEqual([
      {
        path: 'partitions[0].type',
        line: 5,
        column: 1,
        message: 'type must be a string (an alias or a type GUID) on GPT, got 131',
      },
    ]);
  });

  it('shape rules: both shapes, nothing, missing keys, size in a partition filesystem', () => {
    expect(issues('')).toEqual([
      {
        path: '',
        message:
          'the spec is empty: write a [filesystem] table (a bare filesystem) or [image] + [[partitions]] (a whole disk)',
      },
    ]);
    expect(issues('[filesystem]\ntype = "ext4"\n[image]\nsize = "1G"\npartition_table = "gpt"\n')).toEqual([
      {
        path: 'filesystem',
        line: 1,
        column: 1,
        message: 'a spec is either a bare [filesystem] or a disk ([image] + [[partitions]]), not both',
      },
    ]);
    expect(issues('[image]\npartition_table = "gpt"\n')).toEqual([
      { path: 'image.size', line: 1, column: 1, message: 'size is required (a size like "1GiB", or "auto")' },
      { path: 'partitions', message: 'a disk needs at least one [[partitions]] entry' },
    ]);
    expect(
      issues(
        `${DISK}[[partitions]]\ntype = "linux"\nfilesystem = { type = "ext4", size = "1G" }\n[[partitions]]\nname = "raw"\n`,
      ),
    ).toEqual([
      {
        path: 'partitions[0].filesystem.size',
        line: 6,
        column: 31,
        message: "size is not allowed here: a partition's filesystem fills its partition (set the partition's size)",
      },
      {
        path: 'partitions[1].type',
        line: 7,
        column: 1,
        message: 'type is required (an alias like "linux" or "esp", a type GUID, or an MBR type byte)',
      },
      {
        path: 'partitions[1].size',
        line: 7,
        column: 1,
        message: 'size is required (a size like "256MiB", or "remaining")',
      },
    ]);
  });

  it('mbr stops at 2 TiB with 512-byte sectors', () => {
    const disk = (size: string, sector = 512) =>
      safeParseSpec(
        `[image]\nsize = "${size}"\npartition_table = "mbr"\nsector_size = ${sector}\n[[partitions]]\ntype = "linux"\nsize = "remaining"\n`,
      );
    expect(disk('2TiB')).toMatchObject({ ok: true });
    expect(disk('3TiB', 4096)).toMatchObject({ ok: true });
    expect(disk('3TiB')).toEqual({
      ok: false,
      issues: [
        {
          path: 'image.size',
          line: 2,
          column: 1,
          message: 'size must be at most 2 TiB on mbr with 512-byte sectors (use gpt), got 3 TiB',
        },
      ],
    });
  });

  it('output rules', () => {
    expect(issues('[filesystem]\ntype = "ext4"\n[output]\nformat = "vmdk"\n')).toEqual([
      { path: 'output.format', line: 4, column: 1, message: 'format must be "raw" or "qcow2", got "vmdk"' },
    ]);
    expect(
      issues('[filesystem]\ntype = "ext4"\n[output]\nformat = "raw"\ncompress = true\ncluster_size = 3\n'),
    ).toEqual([
      { path: 'output.compress', line: 5, column: 1, message: 'compress is for qcow2 output only' },
      { path: 'output.cluster_size', line: 6, column: 1, message: 'cluster_size is for qcow2 output only' },
    ]);
    expect(issues('[filesystem]\ntype = "ext4"\n[output]\ncluster_size = 3\n')).toEqual([
      {
        path: 'output.cluster_size',
        line: 4,
        column: 1,
        message: 'cluster_size must be a power of two from 512 to 2097152 (2 MiB), got 3',
      },
    ]);
  });

  it('reports several problems at once, and the error message lists them one per line', () => {
    const text = `${DISK}
[[partitions]]
name = "root"
type = "linux"
size = "remaining"
[partitions.filesystem]
type = "ext4"
block_size = 3000

[[partitions]]
name = "root"
type = "linux"
size = "lots"
`;
    let err: unknown;
    try {
      parseSpec(text, 'disk.toml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    const specError = err as SpecError;
    expect(specError.code).toBe('SPEC');
    expect(specError.issues).toHaveLength(4);
    expect(specError.message).toBe(
      [
        '4 problems in disk.toml:',
        'disk.toml:8: partitions[0].size: size "remaining" is only allowed on the last partition (this is 1 of 2)',
        'disk.toml:11: partitions[0].filesystem.block_size: block_size must be 1024, 2048 or 4096, got 3000',
        'disk.toml:14: partitions[1].name: name "root" is already used by partitions[0]',
        'disk.toml:16: partitions[1].size: size must be "auto" or "remaining", a size like "64MiB", "1G", "512K" or a number of bytes, got "lots"',
      ].join('\n'),
    );
  });

  it('a single problem is the whole message', () => {
    expect(() => parseSpec('[filesystem]\ntype = "ext4"\nsparse = "yes"\n', 'a.toml')).toThrow(
      /^a\.toml:3: filesystem\.sparse: sparse must be true or false, got "yes"$/,
    );
  });
});

describe('compatibility hints', () => {
  it("points the original's options table at the flat keys", () => {
    expect(issues('[filesystem]\ntype = "ext4"\n[filesystem.options]\nblock_size = 4096\n')).toEqual([
      {
        path: 'filesystem.options',
        line: 3,
        column: 1,
        message: `unknown key "options" (the original fstool's options table is not supported: write its keys in this table)`,
      },
    ]);
  });
});

describe('odd TOML values', () => {
  it.each([
    ['mtime = 07:32:00', 'filesystem.mtime', 'mtime needs a date, got only a time of day (07:32:00.000)'],
    ['size = 18446744073709551615', 'filesystem.size', 'size must be at most 2^53 bytes, got a larger integer'],
    [
      'inodes = 9007199254740993',
      'filesystem.inodes',
      'inodes must be from 1 to 4294967295, got an integer beyond 2^53',
    ],
    [
      'size = inf',
      'filesystem.size',
      'size must be a whole, non-negative number of bytes or a string like "64MiB", got Infinity',
    ],
    [
      'mtime = 1969-12-31T23:59:59Z',
      'filesystem.mtime',
      'mtime must be from 1970-01-01 (0) to 2446-05-10 (17179869183), got -1',
    ],
    ['features = [1]', 'filesystem.features', 'features must list feature names, got 1'],
    ['sparse = 1', 'filesystem.sparse', 'sparse must be true or false, got 1'],
  ])('%s', (line, path, message) => {
    expect(issues(`[filesystem]\ntype = "ext4"\n${line}\n`)).toEqual([{ path, line: 3, column: 1, message }]);
  });

  it('accepts a byte-order mark', () => {
    expect(safeParseSpec('\ufeff[filesystem]\ntype = "ext4"\n')).toMatchObject({ ok: true });
  });

  it('never throws anything but SpecError, whatever a value is replaced with', () => {
    const base = `plugins = ["p"]
[image]
size = "1GiB"
partition_table = "gpt"
alignment = "1MiB"
[[partitions]]
name = "a"
type = "linux"
size = "64MiB"
attributes = [0]
[partitions.filesystem]
type = "ext4"
block_size = 4096
features = "^has_journal"
mtime = 0
[[partitions]]
type = "esp"
size = "remaining"
filesystem = { type = "fat32", volume_id = 1, cluster_size = 4096 }
[output]
format = "qcow2"
`;
    const values = [
      '""',
      '0',
      '-1',
      '1.5',
      'true',
      '[]',
      '[1, "x"]',
      '{}',
      '{ a = 1 }',
      '1979-05-27',
      '07:32:00',
      '9007199254740993',
    ];
    const lines = base.split('\n');
    let checked = 0;
    lines.forEach((line, i) => {
      const eq = line.indexOf(' = ');
      if (eq < 0) return;
      for (const value of values) {
        const text = [...lines.slice(0, i), `${line.slice(0, eq)} = ${value}`, ...lines.slice(i + 1)].join('\n');
        const r = safeParseSpec(text);
        if (!r.ok) {
          expect(r.issues.length).toBeGreaterThan(0);
          for (const issue of r.issues) expect(issue.message).not.toMatch(/undefined|NaN|\[object/);
        }
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(100);
  });
});

describe('SpecError message', () => {
  it('shows the column of a syntax error', () => {
    expect(() => parseSpec('[filesystem]\ntype = \n', 'a.toml')).toThrow(/^a\.toml:2:8: TOML syntax error: /);
  });
  it('labels a spec without a file name', () => {
    expect(() => parseSpec('[filesystem]\n')).toThrow(
      '<spec>:1: filesystem.type: type is required ("ext2", "ext3", "ext4", "fat12", "fat16", "fat32" or "vfat")',
    );
  });
});

describe('locations', () => {
  it('finds dotted keys, inline tables and arrays of inline tables', () => {
    expect(issues('filesystem.type = "ext4"\nfilesystem.blok_size = 1024\n')).toEqual([
      {
        path: 'filesystem.blok_size',
        line: 2,
        column: 1,
        message: 'unknown key "blok_size" (did you mean "block_size"?)',
      },
    ]);
    expect(
      issues('[image]\nsize = "1GiB"\npartition_table = "gpt"\npartitions = "x"\n').map((i) => [i.path, i.line]),
    ).toEqual([
      ['image.partitions', 4],
      ['partitions', undefined],
    ]);
    expect(issues(`${DISK}partitions = 1\n`).map((i) => [i.path, i.line])).toEqual([
      ['image.partitions', 4],
      ['partitions', undefined],
    ]);
    expect(
      issues(
        'partitions = [\n  { type = "linux", size = "1MiB" },\n  { type = "linux", size = "1MiB", filesystem = { type = "ext4", uid = 0 } },\n]\n[image]\nsize = "1GiB"\npartition_table = "gpt"\n',
      ),
    ).toEqual([
      {
        path: 'partitions[1].filesystem.uid',
        line: 3,
        column: 66,
        message: 'unknown key "uid" (did you mean "uuid"?)',
      },
    ]);
  });
});
