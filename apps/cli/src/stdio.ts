/** Writing stdout or stderr failed: the reader went away (EPIPE) or the disk is full (ENOSPC). */
export class OutputError extends Error {
  constructor(
    readonly stream: 'stdout' | 'stderr',
    cause: NodeJS.ErrnoException,
  ) {
    const why: Record<string, string> = { EPIPE: 'broken pipe', ENOSPC: 'no space left on device' };
    const code = cause.code ?? 'EIO';
    super(`cannot write to ${stream}: ${why[code] ?? cause.message} (${code})`, { cause });
  }
}

/**
 * Watches a stream for write errors, which Node reports as an 'error' event that kills the
 * process with a stack trace when nobody listens. The first error is kept: `check()` throws it,
 * so a command stops writing at the next line, and `failed` settles with it (for a wait on 'drain').
 */
export class WatchedStream {
  error: OutputError | undefined;
  readonly failed: Promise<OutputError>;

  constructor(
    readonly stream: NodeJS.WriteStream,
    name: 'stdout' | 'stderr',
  ) {
    this.failed = new Promise((resolve) => {
      stream.on('error', (err: NodeJS.ErrnoException) => {
        this.error ??= new OutputError(name, err);
        resolve(this.error);
      });
    });
  }

  check(): void {
    if (this.error) throw this.error;
  }

  /** Resolves when everything written so far has reached the stream, or it failed. */
  settled(): Promise<void> {
    if (this.error) return Promise.resolve();
    return new Promise((resolve) => this.stream.write('', () => resolve()));
  }
}
