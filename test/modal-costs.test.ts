/**
 * Issue 12.8: what a tick costs in Modal API calls and volume syncs, counted through the fake (the SDK's
 * own middleware in place, so the auth token exchange is counted too). docs/modal.md "Cost" uses these
 * figures; the bounds below fail when a change makes a tick chattier.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { ModalConnection } from '../src/providers/modal/client.js';
import { runModalTask } from '../src/providers/modal/entrypoints/task.js';
import { runModalTick } from '../src/providers/modal/entrypoints/tick.js';
import { ModalStateDict } from '../src/providers/modal/state-dict.js';
import { FakeModal } from './fakes/modal-api.js';
import { MODAL_TEST_APP, MODAL_TEST_DICT, makeVolumeRoot, modalContainerEnv } from './fakes/modal-container.js';
import { FakeMountedVolume } from './fakes/modal-volume.js';

const APP = MODAL_TEST_APP;
const DICT = MODAL_TEST_DICT;
let fake: FakeModal;
let volumeRoot: string;
let mount: FakeMountedVolume;

const containerEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => modalContainerEnv(volumeRoot, extra);

interface Count {
  rpcs: number;
  byMethod: Record<string, number>;
  syncs: string[];
}

async function counted(fn: () => Promise<unknown>): Promise<Count> {
  const rpcStart = fake.rpcLog.length;
  const authStart = fake.authTokenGets;
  const syncStart = mount.requests.length;
  await fn();
  const methods = fake.rpcLog.slice(rpcStart);
  const byMethod: Record<string, number> = {};
  for (const m of methods) byMethod[m] = (byMethod[m] ?? 0) + 1;
  const auth = fake.authTokenGets - authStart;
  if (auth > 0) byMethod.AuthTokenGet = auth;
  return { rpcs: methods.length + auth, byMethod, syncs: mount.requests.slice(syncStart) };
}

beforeEach(async () => {
  fake = await new FakeModal().start();
  fake.deployApp(APP, ['tick', 'run_task', 'ui']);
  volumeRoot = makeVolumeRoot();
  mount = new FakeMountedVolume(volumeRoot);
  mount.emptyViewMs = 0;
});

afterEach(async () => {
  await fake.close();
  fs.rmSync(volumeRoot, { recursive: true, force: true });
});

it('counts the API calls and volume syncs of an idle tick and of a busy one', async () => {
  const connection = new ModalConnection({ tokenId: 'a', tokenSecret: 'b', grpcMiddleware: [fake.middleware] });
  const dict = await ModalStateDict.open(connection, DICT, { create: true });
  connection.close();
  const common = () => ({ grpcMiddleware: [fake.middleware], volumeSync: mount, logger: silentLogger });
  let releaseTask!: () => void;
  const taskMayRun = new Promise<void>((resolve) => (releaseTask = resolve));
  let taskCount: Promise<Count> | undefined;
  fake.onFunction('run_task', async (args, _kwargs, ctx) => {
    await taskMayRun;
    const file = path.join(os.tmpdir(), `payload-${ctx.callId}.json`);
    fs.writeFileSync(file, args[0] as string);
    taskCount = counted(() => runModalTask({ env: containerEnv({ AIRFLOW_SERVERLESS_PAYLOAD_FILE: file, AIRFLOW_SERVERLESS_CALL_ID: ctx.callId }), ...common() }));
    await taskCount;
    return { exit_code: 0 };
  });
  fs.writeFileSync(
    path.join(volumeRoot, 'dags/hello.yaml'),
    ['hello:', '  schedule: null', '  start_date: 2024-01-01', '  tasks:', '    say:', '      operator: airflow.operators.bash.BashOperator', '      bash_command: echo hi', ''].join('\n'),
  );
  const tick = () => runModalTick({ env: containerEnv({ AIRFLOW_SERVERLESS_CALL_ID: 'fc-tick' }), ...common() });

  const first = await counted(tick);
  const idle = await counted(tick);
  await dict.put('cmd:c1', { id: 'c1', kind: 'trigger', dag_id: 'hello', run_id: 'manual__1', conf: {}, logical_date: null, requested_at: new Date().toISOString(), by: 'cli' });
  const dispatch = await counted(tick);
  releaseTask();
  await fake.callsOf('run_task')[0]!.done;
  const task = await taskCount!;
  const reconcile = await counted(tick);

  const table = { first, idle, dispatch, task, reconcile };
  console.log(JSON.stringify(Object.fromEntries(Object.entries(table).map(([k, v]) => [k, { rpcs: v.rpcs, syncs: v.syncs.join(','), byMethod: v.byMethod }])), null, 1));

  // An idle Node tick (the launcher found something due, e.g. a request, but there is nothing to do).
  expect(idle.syncs).toEqual(['commit', 'clean']);
  // 14: the command-result housekeeping (scheduler/housekeeping.ts) reads its last-run key on every tick.
  expect(idle.rpcs).toBeLessThanOrEqual(14);
  // A tick that dispatches one try, and one that reconciles its report.
  expect(dispatch.rpcs).toBeLessThanOrEqual(25);
  expect(reconcile.rpcs).toBeLessThanOrEqual(18);
  // A bash try: claim (two reads of the record around the claim write), RUNNING, final, the preemption check.
  expect(task.rpcs).toBeLessThanOrEqual(12);
  expect(fake.callsOf('run_task')).toHaveLength(1);
});
