/** Bytes as a short human size: 512 B, 4.0 KiB, 1.5 GiB. */
export function humanSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** Left-aligned columns separated by two spaces; numeric-looking cells align right. */
export function columns(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          const w = widths[i] ?? 0;
          if (i === row.length - 1) return cell;
          return /^-?[\d.,]+( [KMGTP]?i?B)?$/.test(cell) ? cell.padStart(w) : cell.padEnd(w);
        })
        .join('  '),
    )
    .join('\n')
    .concat(rows.length ? '\n' : '');
}

/** JSON with stable two-space indentation; bigints as decimal strings. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}
