/**
 * Where long work reports progress (the Progress port of providers/ports.ts). People at a terminal see
 * it on stderr, with counted work (file 3 of 40) redrawn on one line; when stderr is piped or the command
 * prints `--json`, nothing is shown, so scripts and logs get the result alone. Commands pick with
 * `commandProgress({ json })`; services and providers only call the port.
 */
import type { Progress } from '../providers/ports.js';

export const silentProgress: Progress = { step() {}, count() {} };

/** The part of a tty.WriteStream progress needs (tests pass a fake). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/** Progress drawn on a terminal: a line per step; counted work redraws one line until it is complete. */
export function terminalProgress(stream: ProgressStream): Progress {
  let open = false; // a counted line is on screen without its newline
  const endCountLine = () => {
    if (open) stream.write('\n');
    open = false;
  };
  return {
    step(message) {
      endCountLine();
      stream.write(`${message}\n`);
    },
    count(label, done, total, item) {
      const text = `${label} ${done}/${total}${item ? `: ${item}` : ''}`;
      // Cut to the terminal's width: a wrapped line cannot be redrawn with \r.
      const width = Math.max(20, (stream.columns ?? 80) - 1);
      stream.write(`\r\x1b[K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
      open = done < total;
      if (!open) stream.write('\n');
    },
  };
}

/** A command's progress: on stderr when it is a terminal and the output is not `--json`; else silent. */
export function commandProgress(options: { json?: boolean } = {}, stream: ProgressStream = process.stderr): Progress {
  return !options.json && stream.isTTY ? terminalProgress(stream) : silentProgress;
}

/** Progress on stderr when it is a terminal (commands without `--json`). */
export const stderrProgress: Progress = commandProgress();

/** Reports item `done` of `total` through `count`, or as a step where the Progress has no `count`. */
export function countProgress(progress: Progress, label: string, done: number, total: number, item?: string): void {
  if (progress.count) progress.count(label, done, total, item);
  else progress.step(`${label} ${done}/${total}${item ? `: ${item}` : ''}`);
}
