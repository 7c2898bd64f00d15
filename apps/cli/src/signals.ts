import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Handlers that took over the signals (innermost last), e.g. a shell session that closes cleanly. */
const claims: Array<() => void> = [];

/** Where the terminal is restored; set by main(), so in-process runs (tests) never touch signals. */
let terminal: NodeJS.WriteStream | undefined;
let installed = false;

/** Lets guardSignals() install handlers in this process; `stderr` is where progress bars draw. */
export function enableSignalHandling(stderr: NodeJS.WriteStream): void {
  terminal = stderr;
}

/**
 * Makes SIGINT, SIGTERM and SIGHUP end the process cleanly: temporary output files are removed,
 * the terminal gets its cursor and line wrapping back (a progress bar hides and disables them),
 * and the signal is raised again with its default action, so the parent sees the process killed
 * by it. Installed only by commands that need it (writers of new outputs, the shell): a JS signal
 * handler runs on the event loop, so a default, immediate kill is kept where nothing needs cleaning.
 */
export function guardSignals(): void {
  const stderr = terminal;
  if (!stderr || installed) return;
  installed = true;
  // Loaded now, in the background: the command that writes temporary files loads it too, first.
  let removeTemporaryFiles = () => {};
  void import('fstool/node/atomic').then((m) => {
    removeTemporaryFiles = m.removeTemporaryFiles;
  });
  const handler = (signal: NodeJS.Signals) => {
    const claim = claims[claims.length - 1];
    if (claim) return claim();
    if (stderr.isTTY) stderr.write('\x1b[?25h\x1b[?7h');
    removeTemporaryFiles();
    for (const s of SIGNALS) process.off(s, handler);
    process.kill(process.pid, signal);
    // Still here: the signal was ignored when we started (a background job); end as the shell would.
    process.exit(128 + constants.signals[signal]);
  };
  for (const s of SIGNALS) process.on(s, handler);
}

/**
 * While the returned release function has not been called, the signals call `handler` instead
 * of ending the process.
 */
export function onInterrupt(handler: () => void): () => void {
  guardSignals();
  claims.push(handler);
  return () => {
    const i = claims.lastIndexOf(handler);
    if (i >= 0) claims.splice(i, 1);
  };
}
