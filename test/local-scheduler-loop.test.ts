import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../src/config/index.js';
import type { Config } from '../src/config/model.js';
import type { Logger } from '../src/logger.js';
import { localEnvironmentPaths } from '../src/providers/local/paths.js';
import { wakeScheduler } from '../src/providers/local/wake.js';
import { backoffDelayMs, runSchedulerLoop } from '../src/runtime/scheduler-loop.js';
import type { TickResult } from '../src/scheduler/tick.js';

describe('backoffDelayMs', () => {
  it('doubles from the interval, caps at a minute (or the interval), and jitters by ±50%', () => {
    expect(backoffDelayMs(1000, 1, () => 0.5)).toBe(1000);
    expect(backoffDelayMs(1000, 3, () => 0.5)).toBe(4000);
    expect(backoffDelayMs(1000, 30, () => 0.5)).toBe(60_000);
    expect(backoffDelayMs(120_000, 5, () => 0.5)).toBe(120_000);
    expect(backoffDelayMs(1000, 2, () => 0)).toBe(1000);
    expect(backoffDelayMs(1000, 2, () => 0.999)).toBe(2998);
  });
});

describe('runSchedulerLoop', () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-loop-'));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('survives failing ticks (logs, backs off, retries) and stops at its timeout', async () => {
    const config: Config = {
      ...defaultConfig(),
      // Nothing listens on port 1: every tick fails to reach the database.
      database: { type: 'postgres', connection_string: 'postgres://nobody@127.0.0.1:1/none' },
    };
    const errors: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (message) => errors.push(message) };
    const result = await runSchedulerLoop({ env: 'loop', config, home, logger, intervalSeconds: 0.05, timeoutSeconds: 1, warmWorkers: 0 });
    expect(result.exit).toBe('timeout');
    expect(result.ticks).toBe(0);
    expect(result.failedTicks).toBeGreaterThanOrEqual(2);
    expect(errors.every((message) => message === 'tick failed; retrying')).toBe(true);
  });

  it('a wake through the socket (a CLI command, an upload) gets a full pass at once, whatever the interval', async () => {
    const controller = new AbortController();
    const results: TickResult[] = [];
    let ticked: () => void = () => {};
    const loop = runSchedulerLoop({
      env: 'loop',
      config: defaultConfig(),
      home,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      intervalSeconds: 600,
      signal: controller.signal,
      warmWorkers: 0,
      onTick: (result) => {
        results.push(result);
        ticked();
      },
    });
    const nextTick = () => new Promise<void>((resolve) => (ticked = resolve));
    try {
      await vi.waitFor(() => expect(results).toHaveLength(1), { timeout: 10_000 });
      expect(results[0]).toMatchObject({ fullPass: true, manifestsParsed: 0 });
      // An upload: a new file in dags/, then the wake the CLI sends.
      const dags = path.join(localEnvironmentPaths('loop', home).volume, 'dags');
      fs.mkdirSync(dags, { recursive: true });
      fs.writeFileSync(path.join(dags, 'late.yaml'), 'late:\n  schedule: null\n  start_date: 2024-01-01\n  tasks:\n    t:\n      operator: BashOperator\n      bash_command: "true"\n');
      const second = nextTick();
      expect(await wakeScheduler(localEnvironmentPaths('loop', home))).toBe(true);
      await second;
      expect(results[1]).toMatchObject({ fullPass: true, manifestsParsed: 1 });
    } finally {
      controller.abort();
      await loop;
    }
  });

  it('stops cleanly when aborted, and frees the wake socket for the next loop', async () => {
    const controller = new AbortController();
    const config = defaultConfig();
    let ticks = 0;
    const loop = runSchedulerLoop({
      env: 'loop',
      config,
      home,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      intervalSeconds: 0.05,
      signal: controller.signal,
      warmWorkers: 0,
      onTick: () => {
        if (++ticks === 2) controller.abort();
      },
    });
    const result = await loop;
    expect(result).toMatchObject({ exit: 'stopped', ticks: 2, failedTicks: 0 });
    const again = await runSchedulerLoop({
      env: 'loop',
      config,
      home,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      untilIdle: true,
      warmWorkers: 0,
    });
    expect(again.exit).toBe('idle');
  });
});
