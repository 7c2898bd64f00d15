/**
 * Every code block of every README (the root's, packages/*, apps/*, examples/*) and of docs/*.md
 * runs as written, against the built packages (what a user of the published tarballs gets):
 *
 * - ```ts blocks are type-checked with the packages' strict compiler options, then run as ES
 *   modules by Node; ```js blocks are run as they are;
 * - ```sh, ```bash and ```console blocks (for console, the `$ ` lines) run in bash -e with the real
 *   `fstool` command (apps/cli/bin.js) on PATH;
 * - ```toml blocks are parsed by @fstool/spec.
 *
 * The blocks of one file run in order in one temporary directory, as a reader goes through them,
 * which starts out holding the fixtures the examples name (a source tree, a spec, images built
 * from them). A block without a language (a diagram, sample output) is text. On the line before a
 * block, `<!-- not run: why -->` exempts it (the reason is required) and `<!-- prints: TEXT -->`
 * makes its standard output contain TEXT (white space runs compare as one space).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseSpec } from '@fstool/spec';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..');
const cli = join(repo, 'apps/cli/bin.js');

interface Block {
  file: string;
  line: number;
  lang: string;
  code: string;
  notRun?: string;
  prints?: string;
}

const RUNNERS = new Set(['ts', 'js', 'sh', 'bash', 'console', 'toml']);

/** The real tools' verdicts on the images a file's examples leave behind: [tool, ...args, image]. */
const JUDGES: Record<string, string[][]> = {
  'README.md': [
    ['sgdisk', '-v', 'disk.img'],
    ['qemu-img', 'check', 'disk.qcow2'],
    ['e2fsck', '-fn', 'root.ext4'],
    ['fsck.vfat', '-n', 'boot.vfat'],
  ],
  'packages/ext/README.md': [['e2fsck', '-fn', 'rootfs.img']],
  'packages/fat/README.md': [['fsck.vfat', '-n', 'esp.img']],
  'packages/gpt/README.md': [['sgdisk', '-v', 'vm.img']],
  'packages/mbr/README.md': [['sfdisk', '--dump', 'sd.img']],
  'packages/qcow2/README.md': [
    ['qemu-img', 'check', 'vm.qcow2'],
    ['qemu-img', 'check', 'small.qcow2'],
  ],
  'packages/fstool/README.md': [['sgdisk', '-v', 'disk.img']],
  'apps/cli/README.md': [
    ['e2fsck', '-fn', 'root.ext4'],
    ['fsck.vfat', '-n', 'root.vfat'],
    ['qemu-img', 'check', 'big.qcow2'],
  ],
};

function markdownFiles(): string[] {
  const dirs = ['packages', 'apps', 'examples'].flatMap((top) =>
    readdirSync(join(repo, top), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `${top}/${d.name}`),
  );
  const readmes = ['.', 'examples', ...dirs].map((d) => join(d, 'README.md')).filter((f) => existsSync(join(repo, f)));
  const docs = readdirSync(join(repo, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return [...readmes, ...docs].map((f) => f.replace(/^\.\//, ''));
}

/** The fenced blocks of one markdown file, with the markers on the lines just above each. */
function blocksOf(file: string): Block[] {
  const lines = readFileSync(join(repo, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)/.exec(lines[i] as string);
    if (!open) continue;
    const indent = open[1] as string;
    const end = lines.findIndex((l, j) => j > i && l.trimEnd() === `${indent}\`\`\``);
    if (end < 0) throw new Error(`${file}:${i + 1}: a code block that is never closed`);
    const block: Block = {
      file,
      line: i + 1,
      lang: open[2] as string,
      code: `${lines
        .slice(i + 1, end)
        .map((l) => l.slice(indent.length))
        .join('\n')}\n`,
    };
    for (let k = i - 1; k >= 0 && /^\s*(<!--.*-->)?\s*$/.test(lines[k] as string); k--) {
      const marker = /<!--\s*(not run|prints):(.*?)-->/.exec(lines[k] as string);
      if (marker?.[1] === 'not run') block.notRun = (marker[2] as string).trim();
      else if (marker?.[1] === 'prints') block.prints = (marker[2] as string).trim();
    }
    blocks.push(block);
    i = end;
  }
  return blocks;
}

/** Runs a command with no input (an interactive one sees end of input), resolving to its stdout. */
function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${[file, ...args].join(' ')}: exit ${code ?? signal}\n${out}${err}`.slice(0, 8000)));
    });
  });
}

/** What the examples find in their directory: the trees and spec they name, and images made from them. */
async function makeFixtures(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  cpSync(join(repo, 'examples/rootfs'), join(dir, 'rootfs'), { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(dir, 'rootfs/var/cache/apt'), { recursive: true });
  writeFileSync(join(dir, 'rootfs/var/cache/apt/pkgcache.bin'), 'cache\n');
  cpSync(join(repo, 'examples/boot'), join(dir, 'boot'), { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(dir, 'esp/EFI/BOOT'), { recursive: true });
  mkdirSync(join(dir, 'esp/EFI/old'), { recursive: true });
  writeFileSync(join(dir, 'esp/EFI/BOOT/BOOTX64.EFI'), 'MZ a boot loader\n');
  writeFileSync(join(dir, 'esp/EFI/old/grubx64.efi'), 'MZ an old one\n');
  cpSync(join(repo, 'examples/device_table.txt'), join(dir, 'dt.txt'));
  writeFileSync(join(dir, 'motd'), 'Welcome.\n');
  writeFileSync(
    join(dir, 'disk.toml'),
    `# partition 1: an EFI system partition; partition 2: the root filesystem
[image]
size = "auto"
partition_table = "gpt"
seed = "readme"

[[partitions]]
type = "esp"
filesystem = { type = "vfat", source = "esp", volume_label = "ESP", mtime = 2024-01-01T00:00:00Z }

[[partitions]]
type = "linux"
filesystem = { type = "ext4", source = "rootfs", mtime = 2024-01-01T00:00:00Z }
`,
  );
  for (const args of [
    ['build', 'disk.toml', '-o', 'disk.img'],
    ['convert', 'disk.img', 'disk.qcow2'],
    ['ext-build', 'rootfs', '-o', 'root.ext4', '--kind', 'ext4', '--mtime', '2024-01-01'],
    ['fat-build', 'esp', '-o', 'esp.vfat', '--mtime', '2024-01-01'],
  ]) {
    await run(process.execPath, [cli, '-q', ...args], dir, env);
  }
}

/** The packages as installed from the registry: node_modules links to each workspace package (its dist/). */
function linkPackages(dir: string): void {
  for (const top of ['packages', 'apps']) {
    for (const name of readdirSync(join(repo, top))) {
      const pkgFile = join(repo, top, name, 'package.json');
      if (!existsSync(pkgFile)) continue;
      const link = join(dir, 'node_modules', JSON.parse(readFileSync(pkgFile, 'utf8')).name);
      mkdirSync(join(link, '..'), { recursive: true });
      symlinkSync(join(repo, top, name), link);
    }
  }
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
  symlinkSync(join(repo, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
}

/** The packages' compiler options, seen as a consumer sees them: types from dist/, Node's globals. */
function compilerOptions(root: string): ts.CompilerOptions {
  const base = ts.parseJsonConfigFileContent(
    ts.readConfigFile(join(repo, 'tsconfig.base.json'), ts.sys.readFile).config,
    ts.sys,
    repo,
  ).options;
  return {
    ...base,
    composite: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    customConditions: [],
    types: ['node'],
    typeRoots: [join(root, 'node_modules/@types')],
    rootDir: root,
    outDir: root,
    tsBuildInfoFile: undefined,
    // Examples name the results they show (`const report = …`) without using them.
    noUnusedLocals: false,
    noUnusedParameters: false,
  };
}

const files = markdownFiles();
const blocksByFile = new Map(files.map((f) => [f, blocksOf(f)] as const));

let root: string;
let cleanup: () => void;
let env: NodeJS.ProcessEnv;
const dirOf = (file: string) => join(root, file.replace(/\//g, '__'));
const scriptOf = (b: Block, ext: string) => join(dirOf(b.file), `readme-block-${b.line}.${ext}`);
const diagnostics = new Map<string, string[]>();

beforeAll(async () => {
  // The examples run against dist/: it must be what the sources build to.
  const dry = await run(join(repo, 'node_modules/.bin/tsc'), ['-b', '--dry'], repo, process.env);
  const stale = [...dry.matchAll(/would build project '(.*?)'/g)].map((m) => relative(repo, m[1] as string));
  if (stale.length > 0) throw new Error(`the built packages are out of date (${stale.join(', ')}): run \`pnpm build\``);
  ({ path: root, cleanup } = tempDir('fstool-readme-'));
  linkPackages(root);
  const bin = join(root, 'bin');
  mkdirSync(bin);
  symlinkSync(cli, join(bin, 'fstool'));
  env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1' };
  delete env.NODE_OPTIONS; // vitest's loader hooks are for its own workers

  const fixtures = join(root, 'fixtures');
  mkdirSync(fixtures);
  await makeFixtures(fixtures, env);

  const sources: string[] = [];
  for (const [file, blocks] of blocksByFile) {
    const runnable = blocks.filter((b) => b.notRun === undefined && RUNNERS.has(b.lang));
    if (runnable.length === 0) continue;
    cpSync(fixtures, dirOf(file), { recursive: true, verbatimSymlinks: true });
    for (const b of runnable) {
      if (b.lang === 'ts') sources.push(scriptOf(b, 'ts'));
      if (b.lang === 'ts' || b.lang === 'js') writeFileSync(scriptOf(b, b.lang), b.code);
    }
  }
  const program = ts.createProgram(sources, compilerOptions(root));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const name = d.file?.fileName ?? '';
    const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const text = `${at ? `line ${at.line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    diagnostics.set(name, [...(diagnostics.get(name) ?? []), text]);
  }
  program.emit();
});

afterAll(() => cleanup?.());

async function runBlock(b: Block): Promise<string> {
  const cwd = dirOf(b.file);
  switch (b.lang) {
    case 'toml':
      parseSpec(b.code, `${b.file}:${b.line}`);
      return '';
    case 'ts':
    case 'js':
      return run(process.execPath, [scriptOf(b, 'js')], cwd, env);
    default: {
      const script =
        b.lang === 'console'
          ? b.code
              .split('\n')
              .filter((l) => l.startsWith('$ '))
              .map((l) => l.slice(2))
              .join('\n')
          : b.code;
      return run('bash', ['-e', '-o', 'pipefail', '-c', script], cwd, env);
    }
  }
}

describe.each(files)('%s', (file) => {
  const blocks = blocksByFile.get(file) ?? [];
  it('marks every block it does not run with a reason, and has a runner for every language', () => {
    for (const b of blocks) {
      if (b.notRun !== undefined) expect(b.notRun, `${file}:${b.line}: not run, but why?`).not.toBe('');
      else if (b.lang !== '') expect(RUNNERS, `${file}:${b.line}: no runner for \`\`\`${b.lang}`).toContain(b.lang);
    }
  });
  for (const b of blocks.filter((b) => b.notRun === undefined && RUNNERS.has(b.lang))) {
    it(`runs the ${b.lang} block at line ${b.line}`, async () => {
      if (b.lang === 'ts') expect(diagnostics.get(scriptOf(b, 'ts')) ?? [], 'type errors').toEqual([]);
      const stdout = await runBlock(b);
      // Compared with runs of white space as one space: Node breaks long objects over lines.
      const flat = (text: string) => text.replace(/\s+/g, ' ');
      if (b.prints !== undefined) expect(flat(stdout)).toContain(flat(b.prints));
    });
  }
  for (const [tool, ...args] of JUDGES[file] ?? []) {
    it.skipIf(!haveTools(tool as string))(`leaves an image that ${tool} ${args.join(' ')} passes`, () => {
      const out = mustRun(tool as string, args, { cwd: dirOf(file) });
      // sgdisk exits 0 whatever it finds.
      if (tool === 'sgdisk') expect(out).toContain('No problems found');
    });
  }
});

it('finds the README code blocks', () => {
  const all = [...blocksByFile.values()].flat();
  expect(files).toContain('packages/fstool/README.md');
  expect(all.filter((b) => b.notRun === undefined && RUNNERS.has(b.lang)).length).toBeGreaterThanOrEqual(15);
});
