import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { haveTools, mustRun, qemuImgCheckVerdict, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';
import { built, holdOpen, start } from './spawn-cli.js';

const tmp = tempDir('fstool-lock-');
afterAll(() => tmp.cleanup());

/** A host tree of `n` small files under `name/`. */
function tree(name: string, n: number): string {
  const dir = tmp.join(name);
  mkdirSync(`${dir}/${name}`, { recursive: true });
  for (let i = 0; i < n; i++) writeFileSync(`${dir}/${name}/f${i}`, `${name} ${i}\n`);
  return `${dir}/${name}`;
}

const disk = tmp.join('disk.qcow2');
const img = tmp.join('one.ext4');

beforeAll(async () => {
  mkdirSync(tmp.join('src'));
  writeFileSync(tmp.join('src/hello'), 'hi\n');
  writeFileSync(
    tmp.join('disk.toml'),
    `[image]\nsize = "24MiB"\npartition_table = "gpt"\n` +
      `[[partitions]]\ntype = "linux"\nsize = "10MiB"\n  [partitions.filesystem]\n  type = "ext4"\n  source = "src"\n` +
      `[[partitions]]\ntype = "linux"\nsize = "remaining"\n  [partitions.filesystem]\n  type = "ext4"\n  source = "src"\n`,
  );
  expect((await cli('build', tmp.join('disk.toml'), '-o', disk)).code).toBe(0);
  expect((await cli('ext-build', tmp.join('src'), '-o', img, '--size', '8MiB')).code).toBe(0);
});

/** The ext4 of partition `n`, copied out raw, judged by e2fsck -fn. */
function e2fsckPartition(n: number): { code: number; stdout: string } {
  const raw = tmp.join(`p${n}.raw`);
  mustRun('qemu-img', ['convert', '-O', 'raw', disk, tmp.join('whole.raw')]);
  const p = JSON.parse(mustRun('sfdisk', ['--json', tmp.join('whole.raw')])).partitiontable.partitions[n - 1];
  mustRun('dd', [
    `if=${tmp.join('whole.raw')}`,
    `of=${raw}`,
    'bs=512',
    `skip=${p.start}`,
    `count=${p.size}`,
    'status=none',
  ]);
  return runTool('e2fsck', ['-fn', raw]);
}

describe.skipIf(!built || !haveTools('e2fsck', 'qemu-img', 'sfdisk'))('image locks (flock)', () => {
  it('a second writer, or a reader, of an image a writer holds fails at once with exit 2; readers share', async () => {
    const writer = await holdOpen(img);
    const add = await cli('mkdir', img, '/second');
    expect(add.code).toBe(2);
    expect(add.err).toMatch(/cannot write to .*one\.ext4: another process is using it \(locked\).*--wait/);
    const ls = await cli('ls', img);
    expect(ls.code).toBe(2);
    expect(ls.err).toMatch(/cannot read .*one\.ext4: another process is using it/);
    expect(await writer.end()).toBe(0);

    const reader = await holdOpen(img, '--ro');
    const ls2 = await cli('ls', img);
    expect(ls2.code, ls2.err).toBe(0);
    expect(ls2.out).toMatch(/^hello$/m);
    expect((await cli('rm', img, '/hello')).code).toBe(2);
    expect(await reader.end()).toBe(0);
    expect(runTool('e2fsck', ['-fn', img]).code).toBe(0);
  });

  it('a build does not replace an image another process is editing', async () => {
    const before = readFileSync(img);
    const writer = await holdOpen(img);
    const build = await cli('ext-build', tmp.join('src'), '-o', img, '--size', '4MiB');
    expect(build.code).toBe(2);
    expect(build.err).toMatch(/another process is using it/);
    expect(await writer.end()).toBe(0);
    expect(readFileSync(img).subarray(1024, 2048).equals(before.subarray(1024, 2048))).toBe(true);
    expect(readdirSync(tmp.path).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    // With --wait the build replaces it once the editor is done.
    const again = await holdOpen(img);
    const waiting = cli('--wait', 'ext-build', tmp.join('src'), '-o', img, '--size', '4MiB');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await again.end()).toBe(0);
    const waited = await waiting;
    expect(waited.code, waited.err).toBe(0);
    expect(waited.err).toMatch(/waiting for another process to release/);
    expect(readFileSync(img).length).toBe(4 * 2 ** 20);
    expect(runTool('e2fsck', ['-fn', img]).code).toBe(0);
  });

  it('two partitions of one qcow2 conflict (the lock is on the file); --wait runs after the holder', async () => {
    const writer = await holdOpen(`${disk}:1`);
    const other = await cli('mkdir', `${disk}:2`, '/other');
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/another process is using it/);
    let done = false;
    const waiting = cli('--wait', 'mkdir', `${disk}:2`, '/waited').finally(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(done).toBe(false);
    expect(await writer.end()).toBe(0);
    const waited = await waiting;
    expect(waited.code, waited.err).toBe(0);
    expect(waited.err).toMatch(/waiting for another process to release .*disk\.qcow2/);
    expect((await cli('stat', `${disk}:2`, '/waited')).code).toBe(0);
  });

  it('two writers adding trees to two partitions at once, with --wait: nothing lost, checkers clean', async () => {
    const a = tree('alpha', 60);
    const b = tree('beta', 60);
    const one = start(['add', '--wait', `${disk}:1`, a, '/']);
    const two = start(['add', '--wait', `${disk}:2`, b, '/']);
    one.child.stdin.end();
    two.child.stdin.end();
    const [r1, r2] = await Promise.all([one.exited, two.exited]);
    expect(r1.code, one.err()).toBe(0);
    expect(r2.code, two.err()).toBe(0);
    expect((await cli('ls', `${disk}:1`, '/alpha')).out.split('\n').filter(Boolean)).toHaveLength(60);
    expect((await cli('ls', `${disk}:2`, '/beta')).out.split('\n').filter(Boolean)).toHaveLength(60);
    expect(qemuImgCheckVerdict(disk).state).toBe('clean');
    for (const n of [1, 2]) {
      const fsck = e2fsckPartition(n);
      expect(fsck.code, fsck.stdout).toBe(0);
    }
  });
});
