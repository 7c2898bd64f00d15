/** MBR partition type bytes and their aliases. The first alias of each id is its canonical name. */
import { PartitionTypeError } from './errors.js';

const TYPES: ReadonlyArray<readonly [number, readonly string[]]> = [
  [0x00, ['empty']],
  [0x01, ['fat12']],
  [0x04, ['fat16-small']],
  [0x05, ['extended-chs']],
  [0x06, ['fat16-chs']],
  [0x07, ['ntfs', 'exfat', 'msdata', 'basic-data', 'microsoft-basic-data', 'msft-basic']],
  [0x0b, ['fat32-chs']],
  [0x0c, ['fat32', 'fat']],
  [0x0e, ['fat16']],
  [0x0f, ['extended']],
  [0x82, ['swap', 'linux-swap']],
  [0x83, ['linux', 'linux-filesystem']],
  [0x85, ['linux-extended']],
  [0x8e, ['lvm', 'linux-lvm']],
  [0xa5, ['freebsd']],
  [0xee, ['gpt-protective']],
  [0xef, ['efi', 'esp', 'efi-system']],
  [0xfd, ['raid', 'linux-raid']],
];

const BY_ALIAS = new Map<string, number>(TYPES.flatMap(([id, names]) => names.map((n) => [n, id] as const)));
const NAME_BY_ID = new Map<number, string>(TYPES.map(([id, names]) => [id, names[0] ?? '']));

/** Type bytes that mark an extended container (DOS CHS, DOS LBA, Linux). */
export const EXTENDED_TYPES: ReadonlySet<number> = new Set([0x05, 0x0f, 0x85]);

export const hexByte = (id: number) => `0x${id.toString(16).padStart(2, '0')}`;

/** Canonical alias of a type byte, or `0xNN` when it has none. */
export function mbrTypeName(id: number): string {
  return NAME_BY_ID.get(id) ?? hexByte(id);
}

/** Every alias and its type byte (for help text and docs). */
export function mbrTypeAliases(): ReadonlyMap<string, number> {
  return BY_ALIAS;
}

/** An alias, `0xNN` or a number 0–255 to the type byte; anything else is a PartitionTypeError. */
export function resolveMbrType(type: string | number): number {
  if (typeof type === 'number') {
    if (Number.isInteger(type) && type >= 0 && type <= 0xff) return type;
    throw new PartitionTypeError(`MBR partition type ${type} is not a byte (0-255)`);
  }
  const key = type.trim().toLowerCase();
  const id = BY_ALIAS.get(key);
  if (id !== undefined) return id;
  if (/^0x[0-9a-f]{1,2}$/.test(key)) return Number.parseInt(key.slice(2), 16);
  throw new PartitionTypeError(
    `'${type}' is not an MBR partition type: use one of ${[...BY_ALIAS.keys()].join(', ')} or a byte like 0x83`,
  );
}
