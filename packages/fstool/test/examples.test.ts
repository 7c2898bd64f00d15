import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2fsckNoise, haveTools, mustRun, runTool, snapshotTree, tempDir, withLoopMount } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../src/index.js';
import { buildSpecFile } from '../src/node.js';
import { expectTreeHolds } from './helpers.js';

const examples = join(import.meta.dirname, '../../../examples');
const tmp = tempDir('fstool-examples-');
afterAll(() => tmp.cleanup());

const MTIME = Date.parse('2024-01-01T00:00:00Z') / 1000;
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

async function build(example: string, output: string, format?: 'raw' | 'qcow2') {
  return buildSpecFile(join(examples, example), {
    output: tmp.join(output),
    registry: createRegistry(),
    env: {},
    ...(format ? { format } : {}),
  });
}

/** `dd` of one partition into its own file, for the filesystem checkers. */
function extract(image: string, start: number, size: number, out: string): string {
  execFileSync('dd', [
    `if=${image}`,
    `of=${out}`,
    'bs=1M',
    `skip=${start}`,
    `count=${size}`,
    'iflag=skip_bytes,count_bytes',
    'conv=sparse',
    'status=none',
  ]);
  return out;
}

function checkFat(path: string, source: string) {
  const fsck = runTool('fsck.vfat', ['-n', path]);
  expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
  const out = tmp.join(`mcopy-${Math.random().toString(36).slice(2)}`);
  mustRun('mcopy', ['-s', '-n', '-i', path, '::/', out], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
  for (const r of snapshotTree(source, { xattrs: false })) {
    if (r.kind !== 'file') continue;
    expect(sha(join(out, r.path)), r.path).toBe(r.sha256);
  }
}

async function checkExt(
  image: string,
  start: number,
  size: number,
  name: string,
  opts: { squashOwner?: boolean; source?: string },
) {
  const part = extract(image, start, size, tmp.join(`${name}.ext`));
  expect(e2fsckNoise(part), name).toEqual([]);
  if (!opts.source) return;
  const source = opts.source;
  const mounted = await withLoopMount(image, (dir) => snapshotTree(dir, { xattrs: false }), {
    offset: start,
    sizelimit: size,
  });
  if (mounted) expectTreeHolds(mounted, source, { squashOwner: opts.squashOwner ?? false, mtime: MTIME, modes: true });
}

describe.skipIf(!haveTools('sfdisk', 'sgdisk', 'e2fsck', 'fsck.vfat', 'mcopy', 'qemu-img', 'dd'))(
  'examples build and pass the real tools',
  () => {
    it('bare-ext4: e2fsck clean, kernel mount equals the source', async () => {
      const r = await build('bare-ext4.toml', 'bare.ext4');
      expect(r.volumes[0]?.type).toMatch(/ext4/);
      await checkExt(r.output, 0, r.size, 'bare', { squashOwner: true, source: join(examples, 'rootfs') });
      const dumpe2fs = mustRun('dumpe2fs', ['-h', r.output]);
      expect(dumpe2fs).toMatch(/Filesystem volume name:\s+rootfs/);
      expect(dumpe2fs).toMatch(/metadata_csum/);
    });

    it('bare-fat32: fsck.vfat clean, mcopy equals the source', async () => {
      const r = await build('bare-fat32.toml', 'bare.vfat');
      checkFat(r.output, join(examples, 'boot'));
    });

    it('raspberry-pi: sfdisk agrees, FAT boot and ext4 root check out', async () => {
      const r = await build('raspberry-pi.toml', 'rpi.img');
      const dump = JSON.parse(mustRun('sfdisk', ['-J', r.output])).partitiontable;
      expect(dump.label).toBe('dos');
      expect(dump.partitions.map((p: { type: string; bootable?: boolean }) => [p.type, p.bootable ?? false])).toEqual([
        ['c', true],
        ['83', false],
      ]);
      const [boot, root] = r.volumes;
      expect(dump.partitions[0].start * 512).toBe(boot?.start);
      expect(dump.partitions[1].start * 512 + dump.partitions[1].size * 512).toBe(r.size);
      checkFat(extract(r.output, boot!.start, boot!.size, tmp.join('rpi-boot.vfat')), join(examples, 'boot'));
      await checkExt(r.output, root!.start, root!.size, 'rpi-root', {
        squashOwner: true,
        source: join(examples, 'rootfs'),
      });
    });

    it('efi-disk: sgdisk -v clean, qcow2 passes qemu-img check and equals the raw build', async () => {
      const q = await build('efi-disk.toml', 'efi.qcow2');
      expect(q.format).toBe('qcow2');
      const check = runTool('qemu-img', ['check', q.output]);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      const raw = await build('efi-disk.toml', 'efi.img', 'raw');
      const converted = tmp.join('efi-converted.img');
      mustRun('qemu-img', ['convert', '-O', 'raw', q.output, converted]);
      expect(sha(converted)).toBe(sha(raw.output));
      const v = runTool('sgdisk', ['-v', raw.output]);
      expect(v.stdout).toMatch(/No problems found/);
      const p = mustRun('sgdisk', ['-p', raw.output]);
      expect(p).toMatch(/EF00\s+ESP/);
      expect(p).toMatch(/8304\s+root/);
      const [esp, root] = raw.volumes;
      checkFat(extract(raw.output, esp!.start, esp!.size, tmp.join('esp.vfat')), join(examples, 'boot'));
      await checkExt(raw.output, root!.start, root!.size, 'efi-root', {
        squashOwner: true,
        source: join(examples, 'rootfs'),
      });
    });

    it('bios-legacy-disk: bootable ext2 /boot and ext4 root', async () => {
      const r = await build('bios-legacy-disk.toml', 'bios.img');
      const dump = JSON.parse(mustRun('sfdisk', ['-J', r.output])).partitiontable;
      expect(dump.partitions[0].bootable).toBe(true);
      const [boot, root] = r.volumes;
      await checkExt(r.output, boot!.start, boot!.size, 'bios-boot', {});
      expect(
        mustRun('dumpe2fs', ['-h', extract(r.output, boot!.start, boot!.size, tmp.join('bios-boot2.ext'))]),
      ).toMatch(/Block size:\s+1024/);
      await checkExt(r.output, root!.start, root!.size, 'bios-root', {
        squashOwner: true,
        source: join(examples, 'rootfs'),
      });
    });
  },
);

describe.skipIf(!haveTools('e2fsck', 'dumpe2fs', 'dd'))('every example is reproducible', () => {
  for (const example of readdirSync(examples).filter((f) => f.endsWith('.toml'))) {
    it(`${example}: two builds are the same bytes; ext volumes are e2fsck-silent with room to grow`, async () => {
      const name = example.replace(/\.toml$/, '');
      const [a, b] = [await build(example, `${name}-1.img`, 'raw'), await build(example, `${name}-2.img`, 'raw')];
      expect(sha(b.output)).toBe(sha(a.output));
      for (const v of a.volumes) {
        if (!/^ext/.test(v.type)) continue;
        const part = extract(a.output, v.start, v.size, tmp.join(`${name}-${v.index}.ext`));
        expect(e2fsckNoise(part), `${example} volume ${v.index}`).toEqual([]);
        const header = mustRun('dumpe2fs', ['-h', part]);
        const field = (f: string) => Number(new RegExp(`^${f}:\\s+(\\d+)`, 'm').exec(header)?.[1]);
        // Room for lost+found to grow and for the next add; ext3/ext4 keep their journal.
        expect(field('Free blocks')).toBeGreaterThanOrEqual(32);
        expect(field('Free inodes')).toBeGreaterThanOrEqual(16);
        if (v.type !== 'ext2') expect(header).toMatch(/has_journal/);
      }
    });
  }
});
