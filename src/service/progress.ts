import type { Progress } from '../providers/ports.js';

export const silentProgress: Progress = { step() {} };

/** Progress lines on stderr, so stdout stays clean for `--json`. */
export const stderrProgress: Progress = {
  step(message: string) {
    process.stderr.write(`${message}\n`);
  },
};
