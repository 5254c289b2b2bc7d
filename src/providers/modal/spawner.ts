/**
 * Task functions on Modal: one `run_task` call per try, `tick` calls on demand. The payload travels as
 * one JSON string argument rather than a CBOR object, because CBOR turns `undefined` and integers past
 * 2^32 into values Python's json module cannot write back (modal-sdk.md §0.5); a string arrives intact.
 *
 * The one module that knows the Function/FunctionCall SDK calls.
 */
import { randomUUID } from 'node:crypto';
import type { Function_ } from 'modal';
import type { TaskPayload } from '../../executor/protocol.js';
import { TICK_REQUESTED_KEY } from '../../executor/protocol.js';
import type { Clock, StateDict, TaskSpawner } from '../ports.js';
import { systemClock } from '../ports.js';
import type { ModalConnection } from './client.js';
import { isNotFound } from './client.js';
import { MIN_MODAL_CLI_VERSION } from './deploy.js';
import { ModalDeployError, ModalEnvironmentNotFoundError } from './errors.js';
import { MODAL_FUNCTIONS } from './names.js';
import type { RawDict } from './wake.js';
import { writeWake } from './wake.js';

/**
 * A pending tick request older than this is treated as lost (the tick it started never ran) and replaced.
 * The Period tick clears the gate anyway; this only shortens the wait when ticks are far apart.
 */
export const STALE_TICK_REQUEST_MS = 5 * 60_000;

/**
 * An app deployed by a `modal` CLI older than 1.2 takes only pickled inputs, and the JS SDK refuses to call
 * it with a message about the Python SDK; say what to do in our terms instead.
 */
async function spawnOrExplain(fn: Function_, args: unknown[]): Promise<{ functionCallId: string }> {
  try {
    return await fn.spawn(args);
  } catch (error) {
    if (error instanceof Error && /deployed with an incompatible Python SDK/.test(error.message)) {
      throw new ModalDeployError(
        `the app on Modal was deployed by a modal CLI older than 1.2, which this runtime cannot call: run \`airflow-serverless create\` again with modal >= ${MIN_MODAL_CLI_VERSION.join('.')}`,
        { cause: error },
      );
    }
    throw error;
  }
}

interface TickRequest {
  requested_at: string;
  nonce: string;
}

export class ModalTaskSpawner implements TaskSpawner {
  private readonly functions = new Map<string, Promise<Function_>>();

  constructor(
    private readonly connection: ModalConnection,
    private readonly appName: string,
    private readonly dict: StateDict & RawDict,
    private readonly clock: Clock = systemClock,
  ) {}

  private lookup(name: string): Promise<Function_> {
    let found = this.functions.get(name);
    if (!found) {
      found = this.connection
        .call('FunctionGet', (client) =>
          client.functions.fromName(this.appName, name, { environment: this.connection.environment || undefined }),
        )
        .catch((error: unknown) => {
          this.functions.delete(name);
          if (isNotFound(error)) {
            throw new ModalEnvironmentNotFoundError(
              `environment not found: run create (Modal app ${this.appName} has no function ${name})`,
              { cause: error },
            );
          }
          throw error;
        });
      this.functions.set(name, found);
    }
    return found;
  }

  async spawn(payload: TaskPayload): Promise<string> {
    const fn = await this.lookup(MODAL_FUNCTIONS.task);
    // Not retried by us: a repeated spawn could start the try twice. The dispatch record written before
    // this call (putIfAbsent) lets the tick notice a try that never reported.
    const call = await spawnOrExplain(fn, [JSON.stringify(payload)]);
    return call.functionCallId;
  }

  /** Spawns one `tick` run and returns its call id. */
  async spawnTick(): Promise<string> {
    const fn = await this.lookup(MODAL_FUNCTIONS.tick);
    const call = await spawnOrExplain(fn, []);
    return call.functionCallId;
  }

  /** Waits for a spawned call's result (create waits for the schema-initialising tick). */
  async waitFor(callId: string, timeoutMs: number): Promise<unknown> {
    const call = await this.connection.call('FunctionCallFromId', (client) => client.functionCalls.fromId(callId));
    return call.get({ timeoutMs });
  }

  /** Terminates the call's container: a task's subprocesses die with it. A call that is gone is not an error. */
  async cancel(callId: string): Promise<void> {
    try {
      await this.connection.call('FunctionCallCancel', async (client) => {
        const call = await client.functionCalls.fromId(callId);
        await call.cancel({ terminateContainers: true });
      });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
  }

  /**
   * At most one spawned tick per pending request: the `tick:requested` key is the gate (STYLE 5: a
   * recurring singleton is gated by a key written atomically). The tick entrypoint deletes the key when it
   * starts, so requests made while it runs start (or fold into) the next one. Every request, gated or not,
   * then marks the wake entry due (after the gate: see wake.ts for why that order loses nothing), so the
   * next scheduled launcher call runs the tick even if this spawn is lost.
   */
  async requestTick(): Promise<void> {
    // The request's timestamp (DESIGN.md state dict protocol), with a nonce: putIfAbsent reads back on
    // `created: false` and counts equal bytes as its own write, so two requests in the same millisecond
    // must not write equal values. runTick writes a bare timestamp string; both forms are read below.
    const now = this.clock.now();
    const request: TickRequest = { requested_at: now.toISOString(), nonce: randomUUID() };
    if (!(await this.dict.putIfAbsent(TICK_REQUESTED_KEY, request))) {
      const pending = await this.dict.get<unknown>(TICK_REQUESTED_KEY);
      const at = typeof pending === 'string' ? pending : (pending as Partial<TickRequest> | undefined)?.requested_at;
      const age = typeof at === 'string' ? this.clock.now().getTime() - Date.parse(at) : 0;
      await writeWake(this.dict, now);
      if (!(age > STALE_TICK_REQUEST_MS)) return;
      await this.dict.delete(TICK_REQUESTED_KEY);
      if (!(await this.dict.putIfAbsent(TICK_REQUESTED_KEY, request))) return;
    } else {
      await writeWake(this.dict, now);
    }
    try {
      await this.spawnTick();
    } catch (error) {
      // Reopen the gate, or no request could start a tick until the next Period tick clears it.
      await this.dict.delete(TICK_REQUESTED_KEY).catch(() => undefined);
      throw error;
    }
  }
}
