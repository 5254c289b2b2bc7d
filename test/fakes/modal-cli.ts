/**
 * A fake `modal` Python CLI for tests: an executable script on a temp PATH that records its argv, answers
 * `--version`, and for `deploy` byte-compiles the rendered app (python3 -m py_compile) and prints a few
 * lines. `deployingRunner` wraps the real subprocess runner and tells the fake Modal API what a successful
 * deploy would have created.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandRunner } from '../../src/providers/modal/deploy.js';
import { runCommand } from '../../src/providers/modal/deploy.js';
import type { FakeModal } from './modal-api.js';

export interface FakeModalCli {
  binDir: string;
  /** One JSON array of argv per invocation. */
  invocations(): string[][];
  cleanup(): void;
}

export function installFakeModalCli(options: { deployExitCode?: number } = {}): FakeModalCli {
  const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-modal-cli-'));
  const log = path.join(binDir, 'invocations.jsonl');
  const script = `#!/usr/bin/env python3
import json, subprocess, sys
with open(${JSON.stringify(log)}, "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
if args == ["--version"]:
    print("modal client version: 1.2.0")
    sys.exit(0)
if args and args[0] == "deploy":
    subprocess.run([sys.executable, "-m", "py_compile", args[1]], check=True)
    print("✓ Created objects.")
    print("✓ App deployed! 🎉")
    sys.exit(${options.deployExitCode ?? 0})
print("unexpected arguments", args, file=sys.stderr)
sys.exit(2)
`;
  fs.writeFileSync(path.join(binDir, 'modal'), script, { mode: 0o755 });
  return {
    binDir,
    invocations: () =>
      fs.existsSync(log)
        ? fs
            .readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as string[])
        : [],
    cleanup: () => fs.rmSync(binDir, { recursive: true, force: true }),
  };
}

/** The real runner; after a successful `modal deploy --name X`, the fake API holds app X with our three functions. */
export function deployingRunner(fake: FakeModal, environment = ''): CommandRunner {
  return async (command, args, options) => {
    const result = await runCommand(command, args, options);
    if (args[0] === 'deploy' && result.exitCode === 0) {
      const name = args[args.indexOf('--name') + 1]!;
      fake.deployApp(name, ['tick', 'run_task', 'ui'], environment);
    }
    return result;
  };
}
