const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/**
 * A byte count for messages, the one formatter every package uses: `"64 MiB"`, `"1.5 GiB"`,
 * `"1000 bytes"`; a rounded value also shows the exact bytes, once: `"1.86 GiB (2000000000 bytes)"`.
 * Messages print this alone, never with the byte count again beside it.
 */
export function formatSize(bytes: number): string {
  if (Math.abs(bytes) < 1024) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  let unit = 0;
  while (unit < UNITS.length - 1 && Math.abs(bytes) >= 1024 ** (unit + 2)) unit++;
  const value = bytes / 1024 ** (unit + 1);
  const rounded = Math.round(value * 100) / 100;
  const text = `${rounded} ${UNITS[unit]}`;
  return rounded === value ? text : `${text} (${bytes} bytes)`;
}
