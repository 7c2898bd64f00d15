#!/usr/bin/env node
// Packs every workspace package as `pnpm publish` would and judges each public tarball: publint
// (every message counts, suggestions too), attw's esm-only profile, and the rules below that
// neither checks. Exits 1 naming every problem. Needs the packages built (dist/).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = join(import.meta.dirname, '..');
const REPOSITORY = 'git+https://github.com/fstool/fstool.git';
const ESM_SENTENCE = 'ESM only, Node >= 20.19';
const bin = (name) => join(root, 'node_modules', '.bin', name);

const workspace = JSON.parse(
  execFileSync('pnpm', ['-r', 'ls', '--json', '--depth', '-1'], { cwd: root, encoding: 'utf8' }),
);
const privateNames = new Set(workspace.filter((p) => p.private).map((p) => p.name));
const dirOf = new Map(workspace.map((p) => [p.name, relative(root, p.path)]));

const out = mkdtempSync(join(tmpdir(), 'fstool-pack-'));
const problems = [];
try {
  execFileSync('pnpm', ['-r', 'pack', '--pack-destination', out], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tarballs = readdirSync(out).filter((f) => f.endsWith('.tgz'));
  let checked = 0;
  for (const file of tarballs) {
    const tarball = join(out, file);
    const unpacked = join(out, file.replace(/\.tgz$/, ''));
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
    const pkgDir = join(unpacked, 'package');
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    if (pkg.private) continue;
    checked++;
    const report = (message) => problems.push(`${pkg.name} (${file}): ${message}`);

    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const f of files.filter((f) => f.endsWith('.tsbuildinfo'))) report(`ships ${f}`);
    if (!existsSync(join(pkgDir, 'LICENSE'))) report('has no LICENSE file');
    const readme = join(pkgDir, 'README.md');
    if (!existsSync(readme)) report('has no README.md');
    else if (!readFileSync(readme, 'utf8').includes(ESM_SENTENCE)) report(`README.md does not say "${ESM_SENTENCE}"`);

    const dir = dirOf.get(pkg.name);
    const repo = pkg.repository ?? {};
    if (repo.type !== 'git' || repo.url !== REPOSITORY || repo.directory !== dir) {
      report(`repository must be { type: "git", url: "${REPOSITORY}", directory: "${dir}" }`);
    }
    if (!pkg.homepage?.includes(`/${dir}`)) report(`homepage must point at ${dir}`);
    if (!pkg.bugs) report('has no bugs URL');
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
      for (const [name, range] of Object.entries(pkg[field] ?? {})) {
        if (privateNames.has(name)) report(`${field} names the private package ${name}`);
        if (String(range).startsWith('workspace:')) report(`${field}.${name} is still "${range}"`);
      }
    }

    const lint = await publint({
      pack: { tarball: new Uint8Array(readFileSync(tarball)).buffer },
      level: 'suggestion',
      strict: true,
    });
    for (const m of lint.messages) report(`publint ${m.type}: ${formatMessage(m, lint.pkg, { color: false })}`);

    const attw = spawnSync(bin('attw'), [tarball, '--profile', 'esm-only', '--no-emoji'], {
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    if (attw.status !== 0) report(`attw --profile esm-only found problems:\n${attw.stdout}${attw.stderr}`);
  }
  if (checked === 0) problems.push(`no public package among ${tarballs.length} tarballs`);
  console.log(
    `check-publish: ${checked} public packages packed and checked, ${tarballs.length - checked} private skipped`,
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`${problems.length} publishing problems:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  process.exitCode = 1;
} else {
  console.log('check-publish: all good');
}
