import { FsError } from '@fstool/blockdev';

/** One problem in a spec: where it is (key path, and the line when known) and what is wrong. */
export interface SpecIssue {
  /** Key path such as `partitions[2].filesystem.block_size` (array indexes are 0-based); `''` for the whole file. */
  path: string;
  /** 1-based line in the spec text. */
  line?: number;
  /** 1-based column in the spec text. */
  column?: number;
  message: string;
}

/**
 * Formats one issue as `file:line: path: message`; a whole-file issue (a TOML syntax error) has no path and
 * shows its column instead: `file:line:column: message`. Unknown parts are left out.
 */
export function formatIssue(issue: SpecIssue, file = '<spec>'): string {
  let where = file;
  if (issue.line !== undefined) where += `:${issue.line}`;
  if (issue.path === '') {
    if (issue.line !== undefined && issue.column !== undefined) where += `:${issue.column}`;
    return `${where}: ${issue.message}`;
  }
  return `${where}: ${issue.path}: ${issue.message}`;
}

/** A spec that cannot be used: carries every issue found, not just the first. */
export class SpecError extends FsError {
  readonly issues: SpecIssue[];
  readonly file: string | undefined;
  constructor(issues: SpecIssue[], file?: string) {
    const lines = issues.map((issue) => formatIssue(issue, file));
    super(
      'SPEC',
      issues.length === 1
        ? (lines[0] as string)
        : `${issues.length} problems in ${file ?? 'the spec'}:\n${lines.join('\n')}`,
    );
    this.issues = issues;
    this.file = file;
  }
}
