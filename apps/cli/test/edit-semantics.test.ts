import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { haveTools, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/run.js';
import { cli } from './run-cli.js';

const tmp = tempDir('fstool-edit-');
afterAll(() => tmp.cleanup());

const src = tmp.join('src');
const host = tmp.join('host');
beforeAll(() => {
  mkdirSync(`${src}/etc`, { recursive: true });
  writeFileSync(`${src}/etc/hostname`, 'box\n');
  writeFileSync(`${src}/etc/fstab`, 'original\n');
  mkdirSync(`${host}/etc`, { recursive: true });
  writeFileSync(`${host}/etc/fstab`, 'from the host\n');
  writeFileSync(`${host}/fstab`, 'named\n');
  mkdirSync(`${host}/withlink/sub`, { recursive: true });
  for (const n of ['a', 'b', 'c']) writeFileSync(`${host}/withlink/${n}`, `${n}\n`);
  symlinkSync('a', `${host}/withlink/sub/link`);
  writeFileSync(`${host}/withlink/sub/z`, 'z\n');
});

/** `fstool shell IMG` in-process with a piped script. */
async function shell(script: string, img: string) {
  let err = '';
  const code = await run(['shell', img], {
    out: () => {},
    err: (s) => {
      err += s;
    },
    data: async () => {},
    stdin: Readable.from([script]),
    isTTY: false,
  });
  return { code, err };
}

const cat = async (img: string, path: string) => (await cli('cat', img, path)).bytes.toString();
const kinds: Array<[string, (img: string) => Promise<number>, (img: string) => { code: number; stdout: string }]> = [
  [
    'ext4',
    async (img) => (await cli('ext-build', src, '-o', img, '--size', '8MiB')).code,
    (img) => runTool('e2fsck', ['-fn', img]),
  ],
  [
    'FAT',
    async (img) => (await cli('fat-build', src, '-o', img, '--size', '8MiB')).code,
    (img) => runTool('fsck.vfat', ['-n', img]),
  ],
];

describe.skipIf(!haveTools('e2fsck', 'fsck.vfat'))('mkdir and add follow mkdir(1) and cp -a', () => {
  for (const [name, build, check] of kinds) {
    it(`${name}: mkdir never replaces; -p keeps an existing directory; bad --mode is an error`, async () => {
      const img = tmp.join(`mkdir.${name}`);
      expect(await build(img)).toBe(0);
      const onFile = await cli('mkdir', img, '/etc/hostname');
      expect(onFile.code).toBe(2);
      expect(onFile.err).toMatch(/\/etc\/hostname: already exists/);
      expect(await cat(img, '/etc/hostname')).toBe('box\n');
      expect((await cli('mkdir', img, '-p', '/etc/hostname')).code).toBe(2);
      expect((await cli('mkdir', img, '/etc')).code).toBe(2);
      const missing = await cli('mkdir', img, '/a/b/c');
      expect(missing.code).toBe(2);
      expect(missing.err).toMatch(/\/a: no such directory \(pass -p/);
      for (const mode of ['abc', '999', '-1', '17777']) {
        const r = await cli('mkdir', img, '--mode', mode, '/m');
        expect(r.code, mode).toBe(2);
        expect(r.err).toMatch(/--mode must be octal/);
      }
      expect((await cli('stat', img, '/m')).code).toBe(2);
      expect((await cli('mkdir', img, '--mode', '700', '/private')).code).toBe(0);
      const before = JSON.parse((await cli('stat', img, '/private', '--json')).out).mode;
      expect((await cli('mkdir', img, '-p', '--mode', '777', '/private')).code).toBe(0);
      expect(JSON.parse((await cli('stat', img, '/private', '--json')).out).mode).toBe(before);
      const sh = await shell('mkdir /etc/hostname\nmkdir -p /etc\n', img);
      expect(sh.err).toMatch(/\/etc\/hostname: already exists/);
      expect(sh.err).toMatch(/1 command failed/);
      expect(await cat(img, '/etc/hostname')).toBe('box\n');
      const fsck = check(img);
      expect(fsck.code, fsck.stdout).toBe(0);
    });

    it(`${name}: add DIR onto a directory nests it; files are replaced only when named; missing parents need -p`, async () => {
      const img = tmp.join(`add.${name}`);
      expect(await build(img)).toBe(0);
      const nested = await cli('add', img, `${host}/etc`, '/etc');
      expect(nested.code, nested.err).toBe(0);
      expect(await cat(img, '/etc/fstab')).toBe('original\n');
      expect(await cat(img, '/etc/etc/fstab')).toBe('from the host\n');
      const again = await cli('add', img, `${host}/etc`, '/etc');
      expect(again.code).toBe(2);
      expect(again.err).toMatch(/\/etc\/etc: already exists; directories are not merged/);
      const into = await cli('add', img, `${host}/fstab`, '/etc');
      expect(into.code).toBe(2);
      expect(into.err).toMatch(/\/etc\/fstab: already exists; to replace it, name it as the destination/);
      expect(await cat(img, '/etc/fstab')).toBe('original\n');
      expect((await cli('add', img, `${host}/fstab`, '/etc/fstab')).code).toBe(0);
      expect(await cat(img, '/etc/fstab')).toBe('named\n');
      const dirOverFile = await cli('add', img, `${host}/etc`, '/etc/hostname');
      expect(dirOverFile.code).toBe(2);
      expect(await cat(img, '/etc/hostname')).toBe('box\n');
      const noParent = await cli('add', img, `${host}/fstab`, '/new/dir/fstab');
      expect(noParent.code).toBe(2);
      expect(noParent.err).toMatch(/\/new: no such directory \(pass -p/);
      expect((await cli('add', img, '-p', `${host}/fstab`, '/new/dir/fstab')).code).toBe(0);
      expect(await cat(img, '/new/dir/fstab')).toBe('named\n');
      const sh = await shell(`put ${host}/etc /\nput ${host}/fstab /etc\nput -p ${host}/fstab /srv/x/fstab\n`, img);
      expect(sh.err).toMatch(/\/etc: already exists; directories are not merged/);
      expect(sh.err).toMatch(/\/etc\/fstab: already exists; to replace it/);
      expect(sh.err).toMatch(/2 commands failed/);
      expect(await cat(img, '/etc/fstab')).toBe('named\n');
      expect(await cat(img, '/srv/x/fstab')).toBe('named\n');
      const fsck = check(img);
      expect(fsck.code, fsck.stdout).toBe(0);
    });
  }

  it('FAT: an add that fails part-way says what was and was not added', async () => {
    const img = tmp.join('partial.vfat');
    expect((await cli('fat-build', src, '-o', img, '--size', '8MiB')).code).toBe(0);
    const r = await cli('add', img, `${host}/withlink`, '/w');
    expect(r.code).toBe(2);
    // Tree order: /w, a, b, c, sub, sub/link (fails), sub/z.
    expect(r.err).toMatch(/\/w\/sub\/link: FAT cannot hold a symlink/);
    expect(r.err).toMatch(/added 5 of 7 entries; not added: \/w\/sub\/link and the 1 after it in tree order/);
    expect(await cat(img, '/w/c')).toBe('c\n');
    expect((await cli('stat', img, '/w/sub/z')).code).toBe(2);
    const fsck = runTool('fsck.vfat', ['-n', img]);
    expect(fsck.code, fsck.stdout).toBe(0);
  });
});
