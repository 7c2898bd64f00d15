import { groupDesc32, groupDesc64, inodeBase, superblock } from '@fstool/ext/format';
import { bpb, bpb16, bpb32, shortEntry } from '@fstool/fat/format';
import type { AnyStruct, Seed } from '@fstool/fuzz';
import { gptEntry, gptHeader } from '@fstool/gpt';
import { mbrEntry, mbrSector } from '@fstool/mbr';
import { headerV2, headerV3, tableEntry } from '@fstool/qcow2/format';

/** Every structure a seed may name, by its name: seeds cross into workers as plain data. */
const STRUCTS = new Map<string, AnyStruct>(
  [
    mbrEntry,
    mbrSector,
    gptHeader,
    gptEntry,
    superblock,
    groupDesc32,
    groupDesc64,
    inodeBase,
    bpb,
    bpb16,
    bpb32,
    shortEntry,
    headerV2,
    headerV3,
    tableEntry,
  ].map((s) => [s.name, s as AnyStruct]),
);

export interface PlainSeed {
  name: string;
  bytes: Uint8Array;
  hot: Array<[number, number]>;
  sites: Array<{ struct: string; offset: number }>;
  backing?: Uint8Array;
}

export function toPlain(s: Seed): PlainSeed {
  return { ...s, sites: s.sites.map((x) => ({ struct: x.struct.name, offset: x.offset })) };
}

export function fromPlain(s: PlainSeed): Seed {
  return {
    ...s,
    sites: s.sites.map((x) => {
      const struct = STRUCTS.get(x.struct);
      if (!struct) throw new Error(`unknown structure ${x.struct}`);
      return { struct, offset: x.offset };
    }),
  };
}
