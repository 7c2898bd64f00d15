import type { Interface } from 'node:readline';

interface Key {
  name?: string;
  ctrl?: boolean;
  meta?: boolean;
}

/** The parts of Node's readline this relies on (stable since Node 10, not in the typings). */
interface Internals {
  line: string;
  cursor: number;
  history: string[];
  _ttyWrite(s: string | undefined, key: Key | undefined): void;
  _refreshLine(): void;
}

/**
 * Ctrl-R reverse history search, as in bash: typing narrows the match, Ctrl-R again goes to an
 * older one, Enter runs it, Ctrl-G or Esc gives the line back, any other key edits the match.
 */
export function addReverseSearch(rl: Interface, prompt: () => string): void {
  const r = rl as unknown as Internals;
  const write = r._ttyWrite.bind(r);
  let search: { query: string; from: number; saved: string } | undefined;

  const show = (match: string, failed: boolean) => {
    rl.setPrompt(`(${failed ? 'failed ' : ''}reverse-i-search)'${search?.query ?? ''}': `);
    r.line = match;
    r.cursor = match.length;
    r._refreshLine();
  };
  /** Finds the query from history index `from` on; shows it (or the failure). */
  const find = (from: number) => {
    if (!search) return;
    const q = search.query;
    const i = r.history.findIndex((h, n) => n >= from && h.includes(q));
    if (i >= 0) search.from = i;
    show(i >= 0 ? (r.history[i] as string) : r.line, i < 0);
  };
  const leave = (line: string) => {
    search = undefined;
    rl.setPrompt(prompt());
    r.line = line;
    r.cursor = line.length;
    r._refreshLine();
  };

  r._ttyWrite = (s, key) => {
    if (key?.ctrl && key.name === 'r') {
      if (!search) search = { query: '', from: 0, saved: r.line };
      else search.from++;
      find(search.from);
      return;
    }
    if (!search) return write(s, key);
    if ((key?.ctrl && key.name === 'g') || key?.name === 'escape') return leave(search.saved);
    if (key?.name === 'backspace') {
      search.query = search.query.slice(0, -1);
      return find(0);
    }
    if (
      s &&
      s.length === 1 &&
      !key?.ctrl &&
      !key?.meta &&
      key?.name !== 'return' &&
      key?.name !== 'enter' &&
      key?.name !== 'tab'
    ) {
      search.query += s;
      return find(search.from);
    }
    leave(r.line);
    write(s, key);
  };
}
