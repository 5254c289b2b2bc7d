/**
 * A fake `modal` Python CLI for tests: an executable script on a temp PATH that records its argv, answers
 * `--version` with a chosen version (old CLIs included), and for `deploy` checks its options the way
 * `modal deploy` parses them and then imports the rendered app with the stub `modal` module
 * (test/fakes/modal_stub/modal.py), whose signatures are Modal's: an unknown or misspelt argument fails the
 * deploy as it would for real, instead of passing a byte-compile. `deployingRunner` wraps the real
 * subprocess runner and tells the fake Modal API what a successful deploy would have created.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandRunner } from '../../src/providers/modal/deploy.js';
import { runCommand } from '../../src/providers/modal/deploy.js';
import type { FakeModal } from './modal-api.js';

export const MODAL_STUB_DIR = path.join(import.meta.dirname, 'modal_stub');

export interface FakeModalCli {
  binDir: string;
  /** One JSON array of argv per invocation. */
  invocations(): string[][];
  cleanup(): void;
}

export function installFakeModalCli(options: { deployExitCode?: number; version?: string } = {}): FakeModalCli {
  const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-modal-cli-'));
  const log = path.join(binDir, 'invocations.jsonl');
  const script = `#!/usr/bin/env python3
import importlib.util, json, sys
with open(${JSON.stringify(log)}, "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
if args == ["--version"]:
    print("modal client version: ${options.version ?? '1.4.2'}")
    sys.exit(0)
if args and args[0] == "deploy":
    known = {"--name": True, "-e": True, "--env": True, "--strategy": True, "--stream-logs": False, "--tag": True}
    rest, app_file = args[1:], None
    while rest:
        arg = rest.pop(0)
        if arg.startswith("-"):
            if arg not in known:
                print(f"Error: No such option: {arg}", file=sys.stderr)
                sys.exit(2)
            value = rest.pop(0) if known[arg] else None
            if arg == "--strategy" and value not in ("rolling", "recreate"):
                print(f"Error: Invalid value for '--strategy': {value!r}", file=sys.stderr)
                sys.exit(2)
        else:
            app_file = arg
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, ${JSON.stringify(MODAL_STUB_DIR)})
    spec = importlib.util.spec_from_file_location("modal_app", app_file)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    import modal
    print("✓ Created objects: " + ", ".join(sorted(modal.functions)))
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
