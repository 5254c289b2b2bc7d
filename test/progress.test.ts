/**
 * Progress (src/service/progress.ts): shown on a terminal, counted work on one redrawn line; nothing when
 * stderr is piped or the command prints --json. Through the CLI: `dags create` piped prints no progress.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Progress } from '../src/providers/ports.js';
import { commandProgress, countProgress, type ProgressStream } from '../src/service/progress.js';
import { CliSandbox, EXAMPLES_DIR } from './helpers/cli.js';

function fakeStream(isTTY: boolean, columns = 80): ProgressStream & { text: string } {
  const stream = {
    isTTY,
    columns,
    text: '',
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream;
}

describe('progress', () => {
  it('on a terminal: a line per step, counted work redrawn on one line that ends when complete', () => {
    const stream = fakeStream(true);
    const progress = commandProgress({}, stream);
    progress.step('validating a.yaml');
    countProgress(progress, 'uploading', 1, 3, 'callables/x.py');
    countProgress(progress, 'uploading', 2, 3, 'callables/y.py');
    countProgress(progress, 'uploading', 3, 3, 'a.yaml');
    progress.step('done');
    expect(stream.text).toBe(
      'validating a.yaml\n' +
        '\r\x1b[Kuploading 1/3: callables/x.py' +
        '\r\x1b[Kuploading 2/3: callables/y.py' +
        '\r\x1b[Kuploading 3/3: a.yaml\n' +
        'done\n',
    );
  });

  it('a step in the middle of counted work starts on its own line; long items are cut to the width', () => {
    const stream = fakeStream(true, 30);
    const progress = commandProgress({}, stream);
    countProgress(progress, 'uploading', 1, 2, 'a-very-long-folder/with-a-long-file-name.py');
    progress.step('retrying');
    expect(stream.text).toBe('\r\x1b[Kuploading 1/2: a-very-long-f…\nretrying\n');
  });

  it('piped, or with --json: nothing at all', () => {
    for (const [stream, json] of [
      [fakeStream(false), false],
      [fakeStream(true), true],
    ] as const) {
      const progress = commandProgress({ json }, stream);
      progress.step('validating');
      countProgress(progress, 'uploading', 1, 1, 'x');
      expect(stream.text).toBe('');
    }
  });

  it('countProgress falls back to a step for a Progress without count (Modal and test fakes)', () => {
    const steps: string[] = [];
    const progress: Progress = { step: (message) => steps.push(message) };
    countProgress(progress, 'uploading', 2, 5, 'b.py');
    expect(steps).toEqual(['uploading 2/5: b.py']);
  });

  describe('through the CLI (stderr piped)', () => {
    const cli = new CliSandbox();
    afterAll(() => cli.cleanup());

    it('create and dags create print their result and no progress', async () => {
      const config = path.join(cli.dir, 'config.yaml');
      fs.writeFileSync(config, 'provider: local\n');
      const created = await cli.ok(['create', '--env', 'dev', '--config', config]);
      expect(created.stderr).toBe('');
      const uploaded = await cli.ok(['dags', 'create', '--env', 'dev', '--file', path.join(EXAMPLES_DIR, 'xcom_pipeline.yaml')]);
      expect(uploaded.stdout).toContain('Uploaded xcom_pipeline.yaml');
      expect(uploaded.stderr).toBe('');
    });
  });
});
