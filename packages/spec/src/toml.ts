import './toml-global.js';
import parseString from '@iarna/toml/parse-string.js';
import type { SpecIssue } from './errors.js';

/**
 * The one place @iarna/toml is used (see STACK.md §2.5): CRLF is normalised first (its comment
 * parser rejects `\r`), and its errors become an issue with a 1-based line and column.
 */
export function parseToml(text: string): { value: Record<string, unknown> } | { issue: SpecIssue } {
  try {
    // Also drop a byte-order mark, which Windows editors add and @iarna/toml rejects.
    return { value: parseString(text.replace(/^\ufeff/, '').replace(/\r\n/g, '\n')) };
  } catch (e) {
    const err = e as { fromTOML?: boolean; line?: number; col?: number; message?: string };
    // Some bad values escape the parser as plain errors without a position (an impossible
    // date such as 2024-13-45 throws TypeError "Invalid Datetime"): still the text's fault.
    if (err.fromTOML !== true) {
      if (!(e instanceof Error)) throw e;
      return { issue: { path: '', message: `TOML syntax error: ${e.message}` } };
    }
    // The message carries a code frame after "at row N, col M"; keep the first sentence.
    const message = String(err.message)
      .split(/ at row \d+/)[0]!
      .split('\n')[0]!;
    const issue: SpecIssue = { path: '', message: `TOML syntax error: ${message}` };
    if (typeof err.line === 'number') issue.line = err.line + 1;
    if (typeof err.col === 'number') issue.column = err.col + 1;
    return { issue };
  }
}
