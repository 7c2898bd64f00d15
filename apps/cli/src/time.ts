import { InvalidArgumentError } from '@fstool/blockdev';

/** Parses a time flag's value, naming the flag (`--mtime`, `--date`) when it is bad. */
export const timeFlag =
  (name: string) =>
  (text: string): number => {
    try {
      return parseTime(text);
    } catch (err) {
      throw new InvalidArgumentError(`${name}: ${(err as Error).message}`);
    }
  };

/** Parses a time option: whole seconds since 1970, or an ISO 8601 / RFC 3339 date (UTC unless it says). */
export function parseTime(text: string): number {
  if (/^-?\d+$/.test(text)) return Number(text);
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(text) || !text.includes('T') ? text : `${text}Z`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`"${text}" is neither seconds since 1970 nor an ISO 8601 date`);
  return Math.floor(ms / 1000);
}
