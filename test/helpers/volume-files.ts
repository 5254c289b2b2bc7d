/** What a CLI test's local environment holds on its volume. */
import fs from 'node:fs';
import path from 'node:path';
import type { CliSandbox } from './cli.js';

/** Every file under the environment's volume `dags/`, relative, with its content. */
export function volumeDags(sandbox: CliSandbox, env = 'dev'): Record<string, string> {
  const root = path.join(sandbox.envRoot(env), 'vol', 'dags');
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[path.relative(root, full)] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(root);
  return out;
}
