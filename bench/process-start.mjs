/**
 * process_start (a micro-benchmark, not part of `run.mjs`): runProcessGroup of `bash -c true` N times in a
 * row (BENCH_PROCESS_STARTS, default 200) from dist/, as a task process starts its operators. Prints wall
 * and parent CPU (user + system of this Node process) per start; the children's CPU is not included, since
 * what the scheduler's two cores lose to a start in the parent is what the number is for.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DIST } from './lib.mjs';

const STARTS = Number(process.env.BENCH_PROCESS_STARTS ?? 200);
// BENCH_DIST: another build to compare with (a copy of dist/ built from another commit).
const { runProcessGroup } = await import(path.join(process.env.BENCH_DIST ?? DIST, 'worker', 'process-group.js'));
// BENCH_HELPER=python: the helper a warm worker prefers (posix_spawn); default perl, a cold task process's.
const helperModule = await import(path.join(process.env.BENCH_DIST ?? DIST, 'worker', 'forking-helper.js'));
helperModule.preferForkingHelper?.(process.env.BENCH_HELPER === 'python' ? 'python' : 'perl');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-bench-start-'));
const logPath = path.join(dir, 'out.log');
const fd = fs.openSync(logPath, 'a+');
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const start = () => runProcessGroup({ command: '/bin/bash', args: ['-c', 'true'], env, cwd: dir, outputFd: fd, outputPath: logPath, timeoutSeconds: null });
try {
  // One start outside the measurement: a lazily started helper (if any) is paid once per task process.
  const first = process.hrtime.bigint();
  await start();
  const firstMs = Number(process.hrtime.bigint() - first) / 1e6;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < STARTS; i++) {
    const result = await start();
    if (result.exitCode !== 0) throw new Error(`start ${i}: exit ${result.exitCode}`);
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const perStart = (value) => (value / STARTS).toFixed(2);
  console.log(`process_start: ${STARTS} sequential runProcessGroup('bash -c true') through the ${helperModule.sharedForkingHelper?.()?.interpreter?.kind ?? 'no'} helper, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`  first start ${firstMs.toFixed(1)} ms`);
  console.log(`  wall ${perStart(wallMs)} ms/start, parent CPU ${perStart((cpu.user + cpu.system) / 1000)} ms/start (user ${perStart(cpu.user / 1000)}, system ${perStart(cpu.system / 1000)})`);
} finally {
  fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
}
