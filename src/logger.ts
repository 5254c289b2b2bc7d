/** Core code logs through this port; the CLI and the loops decide where lines go. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function line(level: string, message: string, fields?: Record<string, unknown>): string {
  const extra = fields && Object.keys(fields).length > 0 ? ' ' + JSON.stringify(fields) : '';
  return `${new Date().toISOString()} ${level} ${message}${extra}`;
}

/** Writes to stderr so a command's stdout stays clean for `--json`. */
export function stderrLogger(options: { debug?: boolean } = {}): Logger {
  return {
    debug: (m, f) => {
      if (options.debug) process.stderr.write(line('DEBUG', m, f) + '\n');
    },
    info: (m, f) => process.stderr.write(line('INFO', m, f) + '\n'),
    warn: (m, f) => process.stderr.write(line('WARN', m, f) + '\n'),
    error: (m, f) => process.stderr.write(line('ERROR', m, f) + '\n'),
  };
}
