import { InvalidArgumentError } from '@fstool/blockdev';

/**
 * Splits a shell line into words: blanks separate, '…' quotes literally, "…" quotes with `\`
 * escapes, a bare `\` escapes the next character. `#` at the start of a word begins a comment.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i] as string;
      else word += c;
    } else if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + (line[++i] as string);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) throw new InvalidArgumentError(`unterminated ${quote} quote`);
  if (word !== undefined) words.push(word);
  return words;
}

/** Separates `-x` flags (from `allowed`) from operands; `--` ends the flags. */
export function parseFlags(words: string[], allowed: string): { flags: Set<string>; args: string[] } {
  const flags = new Set<string>();
  const args: string[] = [];
  let done = false;
  for (const w of words) {
    if (!done && w === '--') done = true;
    else if (!done && /^-[a-zA-Z]+$/.test(w)) {
      for (const f of w.slice(1)) {
        if (!allowed.includes(f)) throw new InvalidArgumentError(`unknown option -${f}`);
        flags.add(f);
      }
    } else args.push(w);
  }
  return { flags, args };
}
