import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { haveTools, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertImage } from '../src/node.js';

const tmp = tempDir('fstool-grow-');
afterAll(() => tmp.cleanup());

const MiB = 2 ** 20;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** Bytes [start, end) of a raw image, hashed. */
const region = (path: string, start: number, end: number) => sha(readFileSync(path).subarray(start, end));

describe.skipIf(!haveTools('sgdisk', 'qemu-img', 'mke2fs', 'e2fsck'))('convert --size growth', () => {
  const disk = tmp.join('disk.img');
  let partSha = '';

  beforeAll(() => {
    // A GPT disk made by sgdisk, with an ext4 filesystem in partition 1.
    mustRun('truncate', ['-s', '24M', disk]);
    mustRun('sgdisk', ['-n', '1:2048:+16M', '-t', '1:8300', '-c', '1:root', disk]);
    mustRun('mke2fs', ['-q', '-t', 'ext4', '-E', `offset=${MiB}`, disk, '16M']);
    partSha = region(disk, MiB, 17 * MiB);
  });

  const check = (raw: string, size: number) => {
    expect(statSync(raw).size).toBe(size);
    const v = runTool('sgdisk', ['-v', raw]);
    expect(v.stdout, v.stdout + v.stderr).toMatch(/No problems found/);
    const p = mustRun('sgdisk', ['-p', raw]);
    expect(p).toMatch(/^\s+1\s+2048\s+34815\s.*8300\s+root$/m);
    // The usable range now reaches the new end (34 sectors of backup array and header after it).
    expect(p).toMatch(new RegExp(`last usable sector is ${size / 512 - 34}\\b`));
    expect(region(raw, MiB, 17 * MiB)).toBe(partSha);
  };

  it('raw → raw: the backup GPT moves to the new end, the old one is cleared', async () => {
    const out = tmp.join('grown.img');
    const r = await convertImage(disk, out, { size: 64 * MiB });
    expect(r).toMatchObject({ format: 'raw', size: 64 * MiB });
    check(out, 64 * MiB);
    expect(
      readFileSync(out)
        .subarray(24 * MiB - 512, 24 * MiB)
        .every((b) => b === 0),
    ).toBe(true);
  });

  it('raw → qcow2 and qcow2 → qcow2: the virtual size grows, qemu-img check is clean', async () => {
    const q = tmp.join('grown.qcow2');
    const r = await convertImage(disk, q, { size: 48 * MiB });
    expect(r.info?.virtualSize).toBe(48 * MiB);
    expect(runTool('qemu-img', ['check', q]).code).toBe(0);
    const q2 = tmp.join('grown2.qcow2');
    await convertImage(q, q2, { size: 100 * MiB });
    expect(runTool('qemu-img', ['check', q2]).code).toBe(0);
    const raw = tmp.join('grown2.raw');
    mustRun('qemu-img', ['convert', '-O', 'raw', q2, raw]);
    check(raw, 100 * MiB);
    const part = tmp.join('part.ext4');
    mustRun('dd', [`if=${raw}`, `of=${part}`, 'bs=1M', 'skip=1', 'count=16', 'status=none']);
    expect(runTool('e2fsck', ['-fn', part]).code).toBe(0);
  });

  it('the same size is a plain convert; a smaller one is refused with a hint, nothing written', async () => {
    const same = tmp.join('same.img');
    await convertImage(disk, same, { size: 24 * MiB });
    expect(readFileSync(same).equals(readFileSync(disk))).toBe(true);
    const small = tmp.join('small.img');
    await expect(convertImage(disk, small, { size: 8 * MiB })).rejects.toThrow(/only grows.*repack --shrink/);
    expect(() => statSync(small)).toThrow();
  });
});
