import { type AST, parseTOML } from 'toml-eslint-parser';
import type { SpecIssue } from './errors.js';
import { formatPath, type KeyPath, type RawIssue } from './reader.js';

type Position = { line: number; column: number };

/**
 * Maps key paths to where they are written, for messages. Only built when a spec has problems:
 * @iarna/toml keeps no positions, so the text is parsed a second time with toml-eslint-parser.
 */
export function locator(text: string): (path: KeyPath) => Position | undefined {
  const where = new Map<string, Position>();
  try {
    const program = parseTOML(text);
    const at = (node: AST.HasLocs): Position => ({ line: node.loc.start.line, column: node.loc.start.column + 1 });
    const keyNames = (key: AST.TOMLKey) => key.keys.map((k) => (k.type === 'TOMLBare' ? k.name : k.value));
    const value = (path: KeyPath, node: AST.TOMLContentNode) => {
      if (node.type === 'TOMLInlineTable') for (const kv of node.body) keyValue(path, kv);
      if (node.type === 'TOMLArray') {
        node.elements.forEach((el, i) => {
          where.set(formatPath([...path, i]), at(el));
          value([...path, i], el);
        });
      }
    };
    const keyValue = (base: KeyPath, kv: AST.TOMLKeyValue) => {
      const path = [...base, ...keyNames(kv.key)];
      where.set(formatPath(path), at(kv));
      value(path, kv.value);
    };
    for (const node of program.body[0].body) {
      if (node.type === 'TOMLKeyValue') keyValue([], node);
      else {
        where.set(formatPath(node.resolvedKey), at(node));
        // `[[partitions]]` also locates the array itself, at its first entry.
        const array = formatPath(node.resolvedKey.slice(0, -1));
        if (node.kind === 'array' && !where.has(array)) where.set(array, at(node));
        for (const kv of node.body) keyValue(node.resolvedKey, kv);
      }
    }
  } catch {
    // A document @iarna/toml accepts but this parser does not: messages go without lines.
  }
  // A missing key is reported at its table: try ever shorter prefixes.
  return (path) => {
    for (let n = path.length; n > 0; n--) {
      const found = where.get(formatPath(path.slice(0, n)));
      if (found !== undefined) return found;
    }
    return undefined;
  };
}

/** Issues with their key paths formatted and, when the spec's text is known, their lines; in line order. */
export function locateIssues(raw: readonly RawIssue[], text?: string): SpecIssue[] {
  const locate = text === undefined ? () => undefined : locator(text);
  const issues = raw.map(({ path, message }): SpecIssue => {
    const issue: SpecIssue = { path: formatPath(path), message };
    const pos = locate(path);
    if (pos !== undefined) {
      issue.line = pos.line;
      issue.column = pos.column;
    }
    return issue;
  });
  return issues.sort((a, b) => (a.line ?? Number.POSITIVE_INFINITY) - (b.line ?? Number.POSITIVE_INFINITY));
}
