import { mkdirSync, writeFileSync } from 'node:fs';
import { sep } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { tempDir, traceModules } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../src/commands/index.js';
import { cli } from './run-cli.js';
import { bin, built } from './spawn-cli.js';

// Start-up stays lazy (issue 16): a command loads its own module and the one driver its image
// needs. Judged by the modules Node actually read (a load trace), not by timing; the timings are
// in bench/start.bench.ts.

const tmp = tempDir('fstool-start-');
afterAll(() => tmp.cleanup());
const ext = tmp.join('small.ext4');
const fat = tmp.join('small.vfat');

beforeAll(async () => {
  mkdirSync(tmp.join('src', 'etc'), { recursive: true });
  writeFileSync(tmp.join('src', 'etc', 'hostname'), 'box\n');
  expect((await cli('-q', 'ext-build', tmp.join('src'), '-o', ext, '--size', '4MiB')).code).toBe(0);
  expect((await cli('-q', 'fat-build', tmp.join('src'), '-o', fat, '--size', '4MiB')).code).toBe(0);
});

/** The modules `fstool ARGS…` loaded, as paths relative to the repository, with `/` separators. */
async function loaded(...args: string[]) {
  const r = await traceModules([bin, ...args]);
  expect(r.code, r.err).toBe(0);
  const root = bin.split(`${sep}apps${sep}`)[0] as string;
  return { out: r.out, modules: r.modules.map((m) => m.replace(`${root}${sep}`, '').split(sep).join('/')) };
}

/** What no read-only command on an ext image needs. */
const NOT_FOR_READING_EXT = [
  /packages\/fat\/dist\/(volume|build|write|plan)\.js$/, // FAT beyond its probe
  /packages\/qcow2\/dist\/(device|node|check|convert|compress)\.js$/, // qcow2 beyond its magic
  /\/fflate\//,
  /packages\/ext\/dist\/(build\.js|write\/|plan\/|edit\/)/, // the ext builder and editor
  /\/cli-progress\//,
  /apps\/cli\/dist\/(shell|ops)\//,
  /\/(zod|ajv|@iarna\/toml|toml-eslint-parser|uuid)\//,
  /packages\/spec\//,
  /packages\/fstool\/dist\/(build|plan|jobs|node)\.js$/, // the facade's builders and its full node entry
  /packages\/(mbr\/dist\/index|gpt\/dist\/read)\.js$/, // table readers: a bare filesystem has no table
];

describe.skipIf(!built)('start-up loads only what the command needs', () => {
  it('--version loads no command, parser or driver', async () => {
    const { out, modules } = await loaded('--version');
    expect(out).toMatch(/^\d+\.\d+\.\d+/);
    expect(modules).toEqual(['apps/cli/bin.js']);
  });

  it('ls of an ext image: the ls module and the ext reader, nothing else', async () => {
    const { out, modules } = await loaded('ls', ext, '/etc');
    expect(out).toBe('hostname\n');
    expect(modules).toContain('packages/ext/dist/read/open.js');
    expect(modules.filter((m) => m.startsWith('apps/cli/dist/commands/'))).toEqual([
      'apps/cli/dist/commands/index.js',
      'apps/cli/dist/commands/files.js',
    ]);
    for (const re of NOT_FOR_READING_EXT) expect(modules.filter((m) => re.test(m))).toEqual([]);
  });

  it('info of an ext image: no builder, editor, FAT volume code or other commands', async () => {
    const { out, modules } = await loaded('info', ext);
    expect(out).toMatch(/^type:\s+ext2$/m);
    expect(modules.filter((m) => m.startsWith('apps/cli/dist/commands/'))).toEqual([
      'apps/cli/dist/commands/index.js',
      'apps/cli/dist/commands/info.js',
    ]);
    for (const re of NOT_FOR_READING_EXT) expect(modules.filter((m) => re.test(m))).toEqual([]);
  });

  it('ls of a FAT image probes ext but never opens it with the ext reader', async () => {
    const { out, modules } = await loaded('ls', fat, '/etc');
    expect(out).toBe('hostname\n');
    expect(modules).toContain('packages/fat/dist/volume.js');
    expect(modules).toContain('packages/ext/dist/read/probe.js');
    expect(modules.filter((m) => /packages\/ext\/dist\/(read\/open|read\/volume|build)\.js$/.test(m))).toEqual([]);
  });

  it('help still lists every command', async () => {
    const { out } = await loaded('--help');
    for (const { names } of commands)
      for (const name of names) expect(out).toMatch(new RegExp(`^  (\\S+\\|)?${name}\\b`, 'm'));
  });
});

describe('the command table', () => {
  it('names exactly the commands (and aliases) each module registers', async () => {
    for (const { names, load } of commands) {
      const program = new Command();
      (await load())(program, { out: () => {}, err: () => {}, data: async () => {} });
      expect(program.commands.flatMap((c) => [c.name(), ...c.aliases()])).toEqual(names);
    }
  });
});
