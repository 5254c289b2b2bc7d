import type { Progress } from '../providers/ports.js';

export const silentProgress: Progress = { step() {} };

/** Progress lines on stderr, so stdout stays clean for `--json`. */
export const stderrProgress: Progress = {
  step(message: string) {
    process.stderr.write(`${message}\n`);
  },
};

/** Progress for long work: on stderr when it is a terminal and the output is not JSON; silent when piped. */
export function terminalProgress(json: boolean, stream: { isTTY?: boolean } = process.stderr): Progress {
  return stream.isTTY && !json ? stderrProgress : silentProgress;
}
