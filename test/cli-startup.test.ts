/**
 * What the CLI loads before it does anything (scripts/build-cli.mjs builds it; `npm run bench startup`
 * times it). These checks read the bundle's esbuild metafile and watch a real start, so they fail as soon
 * as a command makes every start heavier, without timing anything on a shared machine:
 * - oclif.manifest.json lists every command file, so oclif never has to import them all to find one;
 * - `--version` alone is answered by bin/run.js from package.json (no bundle at all); through oclif it
 *   loads oclif and the entry only: no command, none of src/;
 * - a command loads the heavy parts of the product (the UI server, the scheduler's tick, the Modal
 *   provider, the template engine) only when it is the command that needs them; elsewhere they are behind
 *   an `await import()` where they are used.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

const BUNDLE = path.join(REPO_ROOT, 'dist/cli-bundle');
const COMMANDS_SRC = path.join(REPO_ROOT, 'src/cli/commands');

interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, unknown>; imports: Array<{ path: string; kind: string; external?: boolean }> }>;
}

function readMeta(): Metafile {
  return JSON.parse(fs.readFileSync(path.join(BUNDLE, 'meta.json'), 'utf8')) as Metafile;
}

function commandIds(dir = COMMANDS_SRC, prefix: string[] = []): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return commandIds(path.join(dir, entry.name), [...prefix, entry.name]);
    return entry.name.endsWith('.ts') ? [[...prefix, entry.name.replace(/\.ts$/, '')].join(':')] : [];
  });
}

/** Output files (relative to the repository) a module loads before its own code runs: static imports only. */
function staticClosure(meta: Metafile, output: string): Set<string> {
  const seen = new Set<string>();
  const queue = [output];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const imported of meta.outputs[file]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) queue.push(imported.path);
    }
  }
  return seen;
}

function inputsOf(meta: Metafile, outputs: Iterable<string>): string[] {
  return [...outputs].flatMap((output) => Object.keys(meta.outputs[output]?.inputs ?? {}));
}

/** Heavy parts and the only commands allowed to load them at start. */
const HEAVY: Array<{ what: string; matches: (input: string) => boolean; allowed: string[] }> = [
  { what: 'the UI server', matches: (i) => i.startsWith('src/ui/server/') || /node_modules\/(hono|@hono)\//.test(i), allowed: ['ui'] },
  { what: "the scheduler's tick", matches: (i) => i === 'src/scheduler/tick.ts', allowed: ['tick', 'scheduler'] },
  { what: 'the Modal provider', matches: (i) => i.startsWith('src/providers/modal/'), allowed: [] },
  { what: 'the template engine (nunjucks)', matches: (i) => /node_modules\/nunjucks\//.test(i), allowed: [] },
];

describe('CLI start-up', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-startup-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('oclif.manifest.json lists every command under src/cli/commands, with its flags', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, { flags: Record<string, unknown>; relativePath: string[] }>;
    };
    const own = Object.entries(manifest.commands).filter(([, c]) => c.relativePath?.[0] === 'dist');
    expect(own.map(([id]) => id).sort()).toEqual(commandIds().sort());
    expect(Object.keys(manifest.commands['dags:list']!.flags).sort()).toEqual(['env', 'json']);
  });

  /** Runs bin/run.js with `args` under a module loader hook; its stdout and the files it loaded (relative to the repository). */
  function runWatchingLoads(args: string[]): { out: string; loaded: string[] } {
    const log = path.join(tmp, 'loaded.txt');
    const hooks = path.join(tmp, 'hooks.mjs');
    const register = path.join(tmp, 'register.mjs');
    fs.writeFileSync(
      hooks,
      `import fs from 'node:fs';\nexport async function load(url, context, next) {\n  fs.appendFileSync(${JSON.stringify(log)}, url + '\\n');\n  return next(url, context);\n}\n`,
    );
    fs.writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    fs.writeFileSync(log, '');
    const out = execFileSync(process.execPath, ['--import', pathToFileURL(register).href, path.join(REPO_ROOT, 'bin/run.js'), ...args], {
      encoding: 'utf8',
    });
    const loaded = fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter((url) => url.startsWith('file:'))
      .map((url) => path.relative(REPO_ROOT, new URL(url).pathname));
    return { out, loaded };
  }

  it('--version alone is answered by bin/run.js, loading nothing else, in the words oclif would use', async () => {
    const { out, loaded } = runWatchingLoads(['--version']);
    const { Config } = await import('@oclif/core');
    const config = await Config.load(REPO_ROOT);
    expect(out).toBe(`${config.userAgent}\n`);
    expect(loaded).toEqual(['bin/run.js']);
  });

  it('--version through oclif (not alone) loads the entry and oclif only: no command and none of src/', () => {
    // The fast path takes `--version` alone; repeated, it is oclif's to answer.
    const { out, loaded } = runWatchingLoads(['--version', '--version']);
    expect(out).toMatch(/^airflow-serverless\/\d+\.\d+\.\d+ /);
    expect(loaded).toContain('dist/cli-bundle/main.js');
    // Nothing outside the bundle: no dist/ module, no package of ours.
    expect(loaded.filter((file) => !file.startsWith('dist/cli-bundle/') && file !== 'bin/run.js')).toEqual([]);
    const meta = readMeta();
    const ours = inputsOf(meta, loaded.filter((file) => file.startsWith('dist/cli-bundle/'))).filter((input) => input.startsWith('src/'));
    expect(ours).toEqual(['src/cli/main.ts']);
  });

  it('no command loads a heavy part of the product at start unless it is that part', () => {
    const meta = readMeta();
    const problems: string[] = [];
    for (const id of commandIds()) {
      const output = `dist/cli-bundle/commands/${id.split(':').join('/')}.js`;
      expect(meta.outputs[output], `${output} is missing from the bundle`).toBeDefined();
      const inputs = inputsOf(meta, staticClosure(meta, output));
      for (const heavy of HEAVY) {
        const hit = inputs.find(heavy.matches);
        if (hit && !heavy.allowed.includes(id)) {
          problems.push(`${id} loads ${heavy.what} (${hit}) at start: import it with \`await import(...)\` where it is used`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('the check above sees a static import: the ui command loads the UI server', () => {
    const meta = readMeta();
    const inputs = inputsOf(meta, staticClosure(meta, 'dist/cli-bundle/commands/ui.js'));
    expect(inputs.some(HEAVY[0]!.matches)).toBe(true);
    // And a lazy one is not counted: providers/index.ts imports the Modal provider with import().
    const all = Object.keys(meta.outputs).flatMap((o) => Object.keys(meta.outputs[o]!.inputs));
    expect(all.some(HEAVY[2]!.matches)).toBe(true);
  });
});
