import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';
import { humanSize } from './format.js';

export interface ProgressEvent {
  phase: string;
  done: number;
  total: number;
}

/** Phases counted in bytes (the others count items: groups, entries). */
const BYTE_PHASES = new Set(['data', 'convert', 'copy', 'add']);

/** -q / -v for the whole run (set once from the root options). */
export const verbosity = { quiet: false, verbose: false };

/** Whether a bar may be drawn: both stdout and stderr are terminals and -q was not given. */
export function progressWanted(): boolean {
  return process.stderr.isTTY === true && process.stdout.isTTY === true && !verbosity.quiet;
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return m >= 60
    ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
    : `${m}:${String(s % 60).padStart(2, '0')}`;
}

/** The text after the bar: amounts in human units, the rate, and the time left (at this rate). */
export function progressLine(p: ProgressEvent, elapsedSeconds: number): string {
  const bytes = BYTE_PHASES.has(p.phase);
  const amount = bytes ? `${humanSize(p.done)}/${humanSize(p.total)}` : `${p.done}/${p.total}`;
  if (!bytes || elapsedSeconds <= 0 || p.done <= 0) return amount;
  const rate = p.done / elapsedSeconds;
  return `${amount} | ${humanSize(rate)}/s | ETA ${clock((p.total - p.done) / rate)}`;
}

/**
 * A progress callback that draws a bar on stderr when `progressWanted()` (pipes, CI logs and
 * `-q` stay clean). Byte phases show human units, rate and ETA. Call `stop()` when done.
 */
export function progressBar(enabled = progressWanted()): {
  onProgress: (p: ProgressEvent) => void;
  stop: () => void;
} {
  if (!enabled) return { onProgress: () => {}, stop: () => {} };
  // Loaded only when a bar is drawn: it costs start-up time every other command need not pay.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const bar = new cliProgress.SingleBar(
    {
      format: '{phase} [{bar}] {percentage}% | {line}',
      stream: process.stderr,
      hideCursor: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let phase = '';
  let since = 0;
  let started = false;
  return {
    onProgress(p) {
      const now = performance.now();
      if (p.phase !== phase) since = now;
      const payload = { phase: p.phase, line: progressLine(p, (now - since) / 1000) };
      if (!started) {
        bar.start(p.total, p.done, payload);
        started = true;
      } else if (p.phase !== phase) bar.setTotal(p.total);
      phase = p.phase;
      bar.update(p.done, payload);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
