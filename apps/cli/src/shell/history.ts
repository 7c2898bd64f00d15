import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Lines kept in ~/.fstool_history. */
const KEEP = 1000;

/** The history file: $HOME/.fstool_history. */
export function historyPath(): string {
  return join(process.env.HOME ?? homedir(), '.fstool_history');
}

/** Past lines, most recent first (readline's order); none when the file is missing or unreadable. */
export function loadHistory(path = historyPath()): string[] {
  try {
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    if (lines.length > KEEP * 2) writeFileSync(path, `${lines.slice(-KEEP).join('\n')}\n`, { mode: 0o600 });
    return lines.slice(-KEEP).reverse();
  } catch {
    return [];
  }
}

/** Appends one line; a history that cannot be written never stops the session. */
export function saveLine(line: string, path = historyPath()): void {
  if (!line.trim()) return;
  try {
    appendFileSync(path, `${line.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
  } catch {
    // Read-only home, full disk: the session goes on without history.
  }
}
