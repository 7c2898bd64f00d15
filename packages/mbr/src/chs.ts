/**
 * Cylinder/head/sector addresses the way fdisk writes them: a 255-head, 63-sector geometry, and
 * the maximum (cylinder 1023, head 254, sector 63 = bytes FE FF FF) past what CHS can address.
 */
export const HEADS = 255;
export const SECTORS_PER_TRACK = 63;
const MAX_CYLINDER = 1023;

export function lbaToChs(lba: number): Uint8Array {
  const perCylinder = HEADS * SECTORS_PER_TRACK;
  let c = Math.floor(lba / perCylinder);
  let rem = lba % perCylinder;
  if (c > MAX_CYLINDER) {
    c = MAX_CYLINDER;
    rem = perCylinder - 1;
  }
  const h = Math.floor(rem / SECTORS_PER_TRACK);
  const s = (rem % SECTORS_PER_TRACK) + 1;
  return new Uint8Array([h, s | ((c >> 2) & 0xc0), c & 0xff]);
}
