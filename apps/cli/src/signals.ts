import { removeTemporaryFiles } from 'fstool/node';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Handlers that took over the signals (innermost last), e.g. a shell session that closes cleanly. */
const claims: Array<() => void> = [];

/**
 * While the returned release function has not been called, SIGINT, SIGTERM and SIGHUP call
 * `handler` instead of ending the process.
 */
export function onInterrupt(handler: () => void): () => void {
  claims.push(handler);
  return () => {
    const i = claims.lastIndexOf(handler);
    if (i >= 0) claims.splice(i, 1);
  };
}

/**
 * Makes a signal end the process cleanly: temporary output files are removed, the terminal gets
 * its cursor and line wrapping back (a progress bar hides and disables them), and the signal is
 * raised again with its default action, so the parent sees the process killed by it.
 */
export function installSignalHandlers(stderr: NodeJS.WriteStream): void {
  const handler = (signal: NodeJS.Signals) => {
    const claim = claims[claims.length - 1];
    if (claim) return claim();
    if (stderr.isTTY) stderr.write('\x1b[?25h\x1b[?7h');
    removeTemporaryFiles();
    for (const s of SIGNALS) process.off(s, handler);
    process.kill(process.pid, signal);
  };
  for (const s of SIGNALS) process.on(s, handler);
}
