/**
 * FAT timestamps: local date and time with 2-second resolution, 1980–2107. FAT has no zone, so
 * fstool writes in one chosen offset (UTC by default) instead of the host's zone.
 */

const MIN_YEAR = 1980;
const MAX_YEAR = 2107;

export interface FatTime {
  date: number;
  time: number;
  /** Hundredths of a second past `time` (0–199), for the creation time field. */
  tenths: number;
}

/** Encodes Unix seconds at `offsetMinutes` east of UTC; out-of-range times clamp to 1980/2107. */
export function encodeFatTime(unixSeconds: number, offsetMinutes: number, nsec = 0): FatTime {
  const d = new Date((unixSeconds + offsetMinutes * 60) * 1000);
  const year = d.getUTCFullYear();
  if (Number.isNaN(year) || year < MIN_YEAR) return { date: (1 << 5) | 1, time: 0, tenths: 0 };
  if (year > MAX_YEAR) {
    return { date: ((MAX_YEAR - MIN_YEAR) << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29, tenths: 0 };
  }
  const sec = d.getUTCSeconds();
  return {
    date: ((year - MIN_YEAR) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (sec >> 1),
    tenths: (sec & 1) * 100 + Math.floor(nsec / 10_000_000),
  };
}

/** Decodes a FAT date/time written at `offsetMinutes` east of UTC to Unix seconds. */
export function decodeFatTime(date: number, time: number, offsetMinutes: number, tenths = 0): number {
  const year = MIN_YEAR + (date >> 9);
  const month = Math.max(1, (date >> 5) & 15) - 1;
  const day = Math.max(1, date & 31);
  const ms = Date.UTC(year, month, day, time >> 11, (time >> 5) & 63, (time & 31) * 2);
  return Math.floor(ms / 1000) + Math.floor(Math.min(tenths, 199) / 100) - offsetMinutes * 60;
}
