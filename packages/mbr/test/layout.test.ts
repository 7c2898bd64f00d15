import { InvalidArgumentError } from '@fstool/blockdev';
import { describe, expect, it } from 'vitest';
import { LayoutError, planLayout, planMbr } from '../src/index.js';

const MiB = 2 ** 20;
const lbas = (ps: Array<{ firstLba: number; lastLba: number }>) => ps.map((p) => [p.firstLba, p.lastLba]);

describe('planLayout', () => {
  it('aligns starts to 1 MiB and gives the rest to the remaining partition', () => {
    const p = planLayout({
      diskSize: 64 * MiB,
      partitions: [{ size: 10 * MiB + 1 }, { size: 'remaining' }, { size: 4 * MiB }],
    });
    expect(lbas(p)).toEqual([
      [2048, 2048 + 20480],
      [24576, 122879],
      [122880, 131071],
    ]);
    expect(p[0]?.size).toBe(10 * MiB + 512);
    expect(p[1]?.start).toBe(12 * MiB);
  });

  it('honours usable ranges, custom alignment, 4096-byte sectors and fixed starts', () => {
    expect(
      lbas(
        planLayout({
          diskSize: 8 * MiB,
          firstUsableLba: 34,
          lastUsableLba: 16350,
          alignment: 4096,
          partitions: [{ size: 'remaining' }],
        }),
      ),
    ).toEqual([[40, 16350]]);
    expect(
      lbas(planLayout({ diskSize: 8 * MiB, sectorSize: 4096, partitions: [{ size: MiB }, { size: 'remaining' }] })),
    ).toEqual([
      [256, 511],
      [512, 2047],
    ]);
    expect(
      lbas(planLayout({ diskSize: 16 * MiB, partitions: [{ size: MiB, start: 4 * MiB }, { size: MiB }] })),
    ).toEqual([
      [8192, 10239],
      [10240, 12287],
    ]);
  });

  it('says which partition does not fit and by how much', () => {
    const err = (() => {
      try {
        planLayout({ diskSize: 16 * MiB, partitions: [{ size: 8 * MiB }, { name: 'data', size: 8 * MiB }] });
      } catch (e) {
        return e as LayoutError;
      }
    })();
    expect(err).toBeInstanceOf(LayoutError);
    expect(err?.partition).toBe("partition 2 ('data')");
    expect(err?.shortBy).toBe(MiB);
    expect(err?.message).toMatch(/partition 2 \('data'\) does not fit: it needs 1 MiB more/);
    expect(() =>
      planLayout({ diskSize: 16 * MiB, partitions: [{ size: 'remaining', name: 'root' }, { size: 15 * MiB }] }),
    ).toThrow(/'root'\) gets no space: the partitions after it need 512 bytes more/);
    expect(() =>
      planLayout({ diskSize: 16 * MiB, partitions: [{ size: 'remaining' }, { size: 'remaining' }] }),
    ).toThrow(InvalidArgumentError);
    expect(() => planLayout({ diskSize: 16 * MiB, partitions: [{ size: 0 }] })).toThrow(InvalidArgumentError);
    expect(() => planLayout({ diskSize: 16 * MiB, alignment: 1000, partitions: [] })).toThrow(InvalidArgumentError);
  });
});

describe('planMbr', () => {
  it('puts partitions past the third in an extended container laid out like sfdisk', () => {
    const { spec, partitions } = planMbr({
      diskSize: 100 * MiB,
      partitions: [
        { type: 'fat32', size: 10 * MiB, bootable: true },
        { type: 'linux', size: 10 * MiB },
        { type: 'linux', size: 10 * MiB },
        { type: 'linux', size: 4 * MiB },
        { type: 'swap', size: 4 * MiB },
        { type: 'linux', size: 'remaining' },
      ],
    });
    expect(partitions.map((p) => p.index)).toEqual([1, 2, 3, 5, 6, 7]);
    expect(spec.partitions.find((p) => p.type === 'extended')).toEqual({
      index: 4,
      type: 'extended',
      firstLba: 63488,
      sectors: 204800 - 63488,
    });
    expect(partitions.slice(3).map((p) => p.firstLba)).toEqual([65536, 75776, 86016]);
  });
});
