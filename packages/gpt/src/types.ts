/** GPT partition type GUIDs and their aliases. The first alias of each GUID is its canonical name. */
import { PartitionTypeError } from '@fstool/mbr';
import { isGuid, NIL_GUID } from './guid.js';

const TYPES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['C12A7328-F81F-11D2-BA4B-00A0C93EC93B', ['esp', 'efi', 'efi-system']],
  ['21686148-6449-6E6F-744E-656564454649', ['bios-boot', 'bios']],
  ['0FC63DAF-8483-4772-8E79-3D69D8477DE4', ['linux', 'linux-filesystem']],
  [
    'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7',
    ['basic-data', 'msft-basic', 'msdata', 'fat', 'fat32', 'fat16', 'ntfs', 'exfat', 'microsoft-basic-data'],
  ],
  ['E3C9E316-0B5C-4DB8-817D-F92DF00215AE', ['msft-reserved']],
  ['0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', ['swap', 'linux-swap']],
  ['4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709', ['linux-root-x86-64']],
  ['B921B045-1DF0-41C3-AF44-4C6F280D3FAE', ['linux-root-arm64']],
  ['8484680C-9521-48C6-9C11-B0720656F69E', ['linux-usr-x86-64']],
  ['933AC7E1-2EB4-4F13-B844-0E14E2AEF915', ['linux-home']],
  ['3B8F8425-20E0-4F3B-907F-1A25A76F98E8', ['linux-srv']],
  ['4D21B016-B534-45C2-A9FB-5C16E091FD2D', ['linux-var']],
  ['7EC6F557-3BC5-4ACA-B293-16EF5DF639D1', ['linux-var-tmp']],
  ['E6D6D379-F507-44C2-A23C-238F2A3DF928', ['linux-lvm', 'lvm']],
  ['A19D880F-05FC-4D3B-A006-743F0F84911E', ['linux-raid', 'raid']],
  ['BC13C2FF-59E6-4262-A352-B275FD6F7172', ['xbootldr']],
];

const BY_ALIAS = new Map<string, string>(TYPES.flatMap(([g, names]) => names.map((n) => [n, g] as const)));
const NAME_BY_GUID = new Map<string, string>(TYPES.map(([g, names]) => [g, names[0] ?? '']));

/** Canonical alias of a type GUID, or the GUID itself. */
export function gptTypeName(guid: string): string {
  return NAME_BY_GUID.get(guid.toUpperCase()) ?? guid.toUpperCase();
}

/** Every alias and its type GUID. */
export function gptTypeAliases(): ReadonlyMap<string, string> {
  return BY_ALIAS;
}

/** An alias or GUID literal to the upper-case type GUID. MBR bytes and the nil GUID are errors. */
export function resolveGptType(type: string | number): string {
  if (typeof type === 'number' || /^0x[0-9a-f]+$/i.test(type.trim())) {
    throw new PartitionTypeError(
      `MBR type ${typeof type === 'number' ? `0x${type.toString(16)}` : type} has no meaning on a GPT disk: use an alias like 'linux' or a type GUID`,
    );
  }
  const key = type.trim().toLowerCase();
  const alias = BY_ALIAS.get(key);
  if (alias) return alias;
  if (isGuid(key)) {
    if (key === NIL_GUID) throw new PartitionTypeError('the nil type GUID marks an unused entry, not a partition type');
    return key.toUpperCase();
  }
  throw new PartitionTypeError(
    `'${type}' is not a GPT partition type: use one of ${[...BY_ALIAS.keys()].join(', ')} or a type GUID`,
  );
}
