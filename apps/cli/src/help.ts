import type { Command } from '@commander-js/extra-typings';

/** Defaults and one example for commands whose modules do not add their own help text. */
const HELP: Record<string, [defaults: string, example: string]> = {
  build: [
    'output format from [output] format, else from the name (.qcow2 → qcow2); plugins from the spec',
    'fstool build examples/raspberry-pi.toml -o pi.img',
  ],
  'ext-build': [
    'ext2 (--kind ext4 for ext4), size auto (the smallest that holds the tree), times from SOURCE_DATE_EPOCH when set',
    'fstool ext-build ./rootfs -o root.ext4 --kind ext4 --size 64MiB',
  ],
  'fat-build': [
    'FAT width chosen from the size, size auto, times from SOURCE_DATE_EPOCH when set',
    'fstool fat-build ./boot -o boot.vfat --label BOOT',
  ],
  convert: [
    'format from the output name; qcow2 clusters of 64 KiB; zero runs stay holes',
    'fstool convert disk.img disk.qcow2',
  ],
  info: ['the whole image (table and volumes); IMG:N for one filesystem', 'fstool info disk.img:2'],
  ls: ['PATH /; names only (-l for the long form, sizes in bytes unless -h)', 'fstool ls -la disk.img:2 /etc'],
  cat: ['the bytes as stored (no newline added)', 'fstool cat disk.img:1 /config.txt'],
  stat: [
    'symlinks not followed; mode in octal and symbolic, times in ISO 8601 UTC',
    'fstool stat disk.img:2 /etc/passwd',
  ],
  mkdir: ['mode 755, owner root', 'fstool mkdir -p disk.img:2 /var/lib/app'],
  rm: ['not recursive', 'fstool rm -r disk.img:2 /var/cache/apt'],
  add: [
    'owners, modes, times and user.* xattrs kept; an existing directory receives it under its own name',
    'fstool add disk.img:2 ./motd /etc',
  ],
  shell: ['read-write (--ro to refuse writes); history in ~/.fstool_history', 'fstool shell disk.qcow2:2'],
  repack: ['the source type and size; --shrink for the smallest image', 'fstool repack --shrink root.ext4 small.ext4'],
};

/** Appends "Defaults: … Example: …" to every command that has none of its own. */
export function addDefaultHelp(program: Command): void {
  for (const c of program.commands) {
    const h = HELP[c.name()];
    if (h) c.addHelpText('after', `\nDefaults: ${h[0]}.\n\nExample:\n  ${h[1]}`);
  }
}
