/** Internal snapshot table entries (spec: "Snapshots"); only what a refcount check needs. */
import { struct, u16, u32, u64 } from '@fstool/blockdev/struct';

export const snapshotHeader = struct.be('qcow2 snapshot header', 40, {
  l1TableOffset: u64(0),
  l1Size: u32(8),
  idStrSize: u16(12),
  nameSize: u16(14),
  dateSec: u32(16),
  dateNsec: u32(20),
  vmClockNsec: u64(24),
  vmStateSize: u32(32),
  extraDataSize: u32(36),
});

/** Bytes one entry occupies: the fixed part, extra data, id and name, padded to 8. */
export function snapshotEntryLength(h: { idStrSize: number; nameSize: number; extraDataSize: number }): number {
  return Math.ceil((snapshotHeader.size + h.extraDataSize + h.idStrSize + h.nameSize) / 8) * 8;
}
