import cliProgress from 'cli-progress';

export interface ProgressEvent {
  phase: string;
  done: number;
  total: number;
}

/**
 * A progress callback that draws a bar on stderr when it is a terminal and does nothing
 * otherwise (pipes and CI logs stay clean). Call `stop()` when the operation ends.
 */
export function progressBar(enabled = process.stderr.isTTY === true): {
  onProgress: (p: ProgressEvent) => void;
  stop: () => void;
} {
  if (!enabled) return { onProgress: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: '{phase} [{bar}] {percentage}% | {value}/{total}', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let phase = '';
  let started = false;
  return {
    onProgress(p) {
      if (!started) {
        bar.start(p.total, p.done, { phase: p.phase });
        started = true;
      } else if (p.phase !== phase) {
        bar.setTotal(p.total);
      }
      phase = p.phase;
      bar.update(p.done, { phase: p.phase });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
