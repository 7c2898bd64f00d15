/**
 * Writing a few fields of a struct into a big buffer (an inode table) without the per-call
 * lookups of `Struct.patch`: one DataView, then each field's own setter. Offsets and widths
 * still come from the struct declarations in format/.
 */
import { dataView, type Field, type Struct } from '@fstool/blockdev/struct';

type Fields = Record<string, Field<unknown>>;
type Values<F extends Fields> = { [K in keyof F]?: F[K] extends Field<infer T> ? T : never };

export function putFields<F extends Fields>(s: Struct<F>, buf: Uint8Array, at: number, values: Values<F>): void {
  const dv = dataView(buf);
  const base = buf.byteOffset + at;
  for (const key in values) {
    const v = values[key];
    if (v !== undefined) (s.fields[key] as Field<unknown>).set(dv, base, v, s.littleEndian, s.name);
  }
}
