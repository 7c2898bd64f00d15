import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@fstool/testkit/node';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { built, fstool } from './spawn-cli.js';

// Mistakes the real command catches before it does the work, each with the message a user sees.
const tmp = tempDir('fstool-mistakes-');
afterAll(() => tmp.cleanup());

const src = tmp.join('src');
const MiB = 2 ** 20;

/** Each `(N bytes)` of a line at most once: a size is never printed twice in one message. */
function expectNoByteCountTwice(text: string): void {
  for (const line of text.split('\n')) {
    const counts = [...line.matchAll(/(\d+) bytes/g)].map((m) => m[1]);
    expect(new Set(counts).size, line).toBe(counts.length);
  }
}

/** A disk with an ext4 partition 1 (1–5 MiB) and a FAT partition 2 (5–12 MiB). */
async function disk(table: 'mbr' | 'gpt'): Promise<string> {
  const spec = tmp.join(`${table}.toml`);
  writeFileSync(
    spec,
    `[image]\nsize = "12MiB"\npartition_table = "${table}"\n` +
      `[[partitions]]\ntype = "linux"\nsize = "4MiB"\n  [partitions.filesystem]\n  type = "ext4"\n  source = "src"\n` +
      `[[partitions]]\ntype = "linux"\nsize = "remaining"\n  [partitions.filesystem]\n  type = "vfat"\n  source = "src"\n`,
  );
  const out = tmp.join(`${table}.img`);
  const r = await fstool('build', spec, '-o', out, '-q');
  expect(r.code, r.err).toBe(0);
  return out;
}

/** A copy of `image` cut to `size` bytes, as a partial download leaves it. */
function cut(image: string, size: number, name: string): string {
  const to = tmp.join(name);
  writeFileSync(to, readFileSync(image));
  truncateSync(to, size);
  return to;
}

beforeAll(() => {
  mkdirSync(src);
  writeFileSync(join(src, 'hello'), 'hello\n');
});

describe.skipIf(!built)('mistakes caught before the work (the real command)', () => {
  it('-o an existing directory fails at once, naming it; nothing is written', async () => {
    const dir = tmp.join('a-dir');
    mkdirSync(dir);
    for (const argv of [
      ['ext-build', src, '-o', dir],
      ['fat-build', src, '-o', dir],
    ]) {
      const r = await fstool(...argv);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toBe(
        `fstool: ${dir} is a directory: the output must be a regular file (replaced atomically) or a block device\n`,
      );
    }
    expect(readdirSync(dir)).toEqual([]);
    expect(readdirSync(tmp.path).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('replacing an existing output is said on stderr, unless -q', async () => {
    const out = tmp.join('replaced.img');
    const first = await fstool('ext-build', src, '-o', out);
    expect(first.code, first.err).toBe(0);
    expect(first.err).not.toContain('replacing');
    const again = await fstool('ext-build', src, '-o', out);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toBe(`fstool: replacing existing ${out}\n`);
    const quiet = await fstool('-q', 'ext-build', src, '-o', out);
    expect(quiet.code, quiet.err).toBe(0);
    expect(quiet.err).toBe('');
    const converted = await fstool('convert', out, out.replace(/\.img$/, '.qcow2'));
    expect(converted.err).toBe('');
    const reconverted = await fstool('convert', out, out.replace(/\.img$/, '.qcow2'));
    expect(reconverted.err).toBe(`fstool: replacing existing ${out.replace(/\.img$/, '.qcow2')}\n`);
  });

  it('an output name of another format (out.vmdk) is an error unless --format says what to write', async () => {
    const vmdk = tmp.join('out.vmdk');
    const r = await fstool('ext-build', src, '-o', vmdk);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `fstool: ${vmdk}: fstool writes raw or qcow2, not ".vmdk"; name it .img or .qcow2, or pass --format raw|qcow2\n`,
    );
    expect(existsSync(vmdk)).toBe(false);
    const img = tmp.join('ok.img');
    expect((await fstool('ext-build', src, '-o', img, '-q')).code).toBe(0);
    for (const argv of [
      ['convert', img, tmp.join('out.vdi')],
      ['repack', img, tmp.join('out.iso')],
    ]) {
      const bad = await fstool(...argv);
      expect(bad.code, argv.join(' ')).toBe(2);
      expect(bad.err).toContain('or pass --format raw|qcow2');
    }
    const raw = await fstool('ext-build', src, '-o', vmdk, '--format', 'raw', '-q');
    expect(raw.code, raw.err).toBe(0);
    expect(statSync(vmdk).size).toBeGreaterThan(0);
  });

  for (const table of ['gpt', 'mbr'] as const) {
    it(`a truncated ${table.toUpperCase()} disk opens its whole partitions; info marks the cut ones`, async () => {
      const image = cut(await disk(table), 7 * MiB, `${table}-cut.img`);
      const ls = await fstool('ls', `${image}:1`, '/');
      expect(ls.code, ls.err).toBe(0);
      expect(ls.out).toBe('hello\nlost+found\n');
      expect((await fstool('cat', `${image}:1`, '/hello')).out).toBe('hello\n');

      const refused = await fstool('ls', `${image}:2`, '/');
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(
        /^fstool: partition 2 is truncated: it ends [\d.]+ MiB( \(\d+ bytes\))? past the end/,
      );
      expect(refused.err).toContain('(7 MiB)');

      const info = await fstool('info', image);
      expect(info.code, info.err).toBe(0);
      expect(info.out).toMatch(/^1 .* ext4 /m);
      expect(info.out).toMatch(/^2 .* truncated /m);
      const json = await fstool('info', image, '--json');
      const value = JSON.parse(json.out);
      expect(value.volumes.map((v: { partition: { truncated?: boolean } }) => v.partition.truncated)).toEqual([
        undefined,
        true,
      ]);
      expect(value.volumes[0].filesystem.type).toBe('ext4');
      expect(schema('info')(value)).toBe(true);
      if (table === 'gpt') expect(value.warnings.join('\n')).toMatch(/the disk is truncated/);

      // check: the whole partition is clean, the cut one is a problem (exit 2).
      const check = await fstool('check', image);
      expect(check.code).toBe(2);
      expect(check.out).toMatch(/:1: ext4: clean /);
      expect(check.out).toMatch(/:2: unknown: 1 problems \(the partition table\)\n {2}partition 2 is truncated: /);
      const checkJson = JSON.parse((await fstool('check', image, '--json')).out);
      expect(checkJson.clean).toBe(false);
      expect(schema('check')(checkJson)).toBe(true);
    });
  }

  it('an MBR disk cut inside its first partition refuses both partitions but still reads its table', async () => {
    const image = cut(await disk('mbr'), 3 * MiB, 'mbr-cut-early.img');
    const info = await fstool('info', image, '--json');
    expect(info.code, info.err).toBe(0);
    const value = JSON.parse(info.out);
    expect(value.table).toBe('mbr');
    expect(value.volumes.map((v: { partition: { truncated?: boolean } }) => v.partition.truncated)).toEqual([
      true,
      true,
    ]);
    const r = await fstool('ls', `${image}:1`, '/');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^fstool: partition 1 is truncated: it ends 2 MiB past the end of the image \(3 MiB\)/);
  });

  it('a bad flag value names the flag, never the spec key', async () => {
    const out = tmp.join('flags.img');
    const source = tmp.join('flags-source.img');
    expect((await fstool('ext-build', src, '-o', source, '-q')).code).toBe(0);
    const cases: Array<[string[], string]> = [
      [['ext-build', src, '-o', out, '--block-size', '3000'], '--block-size must be 1024, 2048 or 4096, got 3000'],
      [['ext-build', src, '-o', out, '--inodes', '0'], '--inodes must be from 1 to 4294967295, got 0'],
      [['ext-build', src, '-o', out, '--label', 'x'.repeat(17)], '--label must be at most 16 bytes for ext'],
      [['ext-build', src, '-o', out, '--size', 'lots'], '--size must be a size like'],
      [['ext-build', src, '-o', out, '--journal-size', '4Q'], '--journal-size must be a size like'],
      [['fat-build', src, '-o', out, '--cluster-size', '3000'], '--cluster-size must be a power of two from 512'],
      [['fat-build', src, '-o', out, '--label', 'a.b'], '--label must not contain "."'],
      [['repack', source, out, '--block-size', '3000'], '--block-size must be 1024, 2048 or 4096, got 3000'],
      [['repack', source, out, '--fs-type', 'vfat', '--block-size', '3000'], '--block-size must be a power of two'],
      [['convert', source, out, '--size', '3x'], '--size must be a size like'],
      [['ext-build', tmp.join('no-dir'), '-o', out], `DIR: ${tmp.join('no-dir')} does not exist`],
      [['ext-build', src, '-o', out, '--device-table', tmp.join('no-table')], '--device-table: cannot read'],
      [['fat-build', src, '-o', out, '--size', '10k'], '--size: the vfat filesystem needs at least 19.5 KiB'],
    ];
    for (const [argv, message] of cases) {
      const r = await fstool(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain(`fstool: ${message}`);
      expect(r.err).not.toMatch(
        /blockSize|block_size|inode_size|volume_label|cluster_size|clusterSize|<spec>|filesystem[.:]/,
      );
    }
    expect(existsSync(out)).toBe(false);
  });

  it('no message prints a byte count twice: size errors and info', async () => {
    const tooSmall = await fstool('fat-build', src, '-o', tmp.join('small.img'), '--fat', '32', '--size', '1MiB');
    expect(tooSmall.code).toBe(2);
    expect(tooSmall.err).toMatch(/needs at least 32.51 MiB \(34089472 bytes\) for its contents, but has 1 MiB\n$/);
    const zero = await fstool('ext-build', src, '-o', tmp.join('zero.img'), '--size', '1k');
    expect(zero.err).toMatch(/needs at least [\d.]+ KiB( \(\d+ bytes\))? for its contents, but has 1 KiB\n$/);
    for (const text of [tooSmall.err, zero.err]) expectNoByteCountTwice(text);

    const img = tmp.join('info.img');
    expect((await fstool('ext-build', src, '-o', img, '--size', '3000k', '-q')).code).toBe(0);
    const qcow = tmp.join('info.qcow2');
    expect((await fstool('convert', img, qcow)).code).toBe(0);
    const info = await fstool('info', qcow);
    expect(info.code, info.err).toBe(0);
    expect(info.out).toMatch(/^size: +2.93 MiB \(3072000 bytes\)$/m);
    expectNoByteCountTwice(info.out);
    const disks = await fstool('info', await disk('gpt'));
    expect(disks.out).toMatch(/^size: +12 MiB$/m);
    expectNoByteCountTwice(disks.out);
  });

  it('--version prints the version in package.json', async () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    for (const flag of ['--version', '-V']) {
      const r = await fstool(flag);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`${pkg.version}\n`);
    }
  });
});

/** A validator for docs/json/NAME.schema.json (with the schemas it refers to). */
function schema(name: string) {
  const dir = join(import.meta.dirname, '..', '..', '..', 'docs', 'json');
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  for (const f of readdirSync(dir)) ajv.addSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')));
  const validate = ajv.getSchema(`urn:fstool:json:v1:${name}`);
  if (!validate) throw new Error(`no schema ${name}`);
  return validate;
}
