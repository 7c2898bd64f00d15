/** GPT partition attribute bits (UEFI spec table 5-8); bits 48-63 belong to the partition type. */
import { InvalidArgumentError } from '@fstool/blockdev';

export const GPT_ATTRIBUTES = {
  required: 0,
  'no-block-io': 1,
  'legacy-bios-bootable': 2,
} as const;

export type GptAttributeName = keyof typeof GPT_ATTRIBUTES;

/** Names and bit numbers (0-63) to the 64-bit attribute value. */
export function attributesFrom(value: bigint | ReadonlyArray<GptAttributeName | number>): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value >= 2n ** 64n) throw new InvalidArgumentError(`GPT attributes ${value} are not 64-bit`);
    return value;
  }
  let out = 0n;
  for (const a of value) {
    const bit = typeof a === 'number' ? a : GPT_ATTRIBUTES[a];
    if (bit === undefined || !Number.isInteger(bit) || bit < 0 || bit > 63) {
      throw new InvalidArgumentError(
        `GPT attribute '${a}' is not one of ${Object.keys(GPT_ATTRIBUTES).join(', ')} or a bit number 0-63`,
      );
    }
    out |= 1n << BigInt(bit);
  }
  return out;
}

/** The attribute value as names where known and bit numbers otherwise. */
export function attributeNames(attrs: bigint): Array<GptAttributeName | number> {
  const out: Array<GptAttributeName | number> = [];
  const names = Object.entries(GPT_ATTRIBUTES) as Array<[GptAttributeName, number]>;
  for (let bit = 0; bit < 64; bit++) {
    if ((attrs >> BigInt(bit)) & 1n) out.push(names.find(([, b]) => b === bit)?.[0] ?? bit);
  }
  return out;
}
