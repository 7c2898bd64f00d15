/** Where the CLI writes: injectable so tests run commands in-process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Raw bytes to stdout (`cat`); resolves when the consumer can take more. */
  data(chunk: Uint8Array): Promise<void>;
  /** Where `shell` reads commands (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /** Where `shell` echoes line editing on a terminal (default process.stdout). */
  stdout?: NodeJS.WritableStream;
  /** stdin is a terminal: `shell` shows a prompt and edits lines. */
  isTTY?: boolean;
}

/** Exit codes: 0 ok, 1 the operation failed, 2 bad usage or bad input. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
