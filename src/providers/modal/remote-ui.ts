/**
 * `ui --env <env>` for a Modal environment: spawn the app's `ui` function with a fresh session id and
 * token, wait until the container has opened its tunnel and written `ui:{session}` -> {url, started_at}
 * to the Dict, print the link, and cancel the call when the user stops (Ctrl-C / SIGTERM) or the caller
 * calls `stop()`.
 */
import crypto from 'node:crypto';
import { TimeoutError } from 'modal';
import { uiSessionKey } from '../../executor/protocol.js';
import { ModalProviderError } from './errors.js';
import { MODAL_FUNCTIONS } from './names.js';
import type { ModalProvider } from './provider.js';
import type { ModalStateDict } from './state-dict.js';

export interface UiSessionRecord {
  url: string;
  started_at: string;
}

export interface RemoteUiOptions {
  provider: ModalProvider;
  /** Where the link and status lines go (the CLI's stdout). */
  print: (line: string) => void;
  /** Stop on SIGINT/SIGTERM (default true; tests turn it off and call stop()). */
  handleSignals?: boolean;
  /** How long to wait for the tunnel (image pull + start). Default 5 min. */
  startTimeoutMs?: number;
  pollMs?: number;
}

export interface RemoteUi {
  session: string;
  callId: string;
  url: string;
  /** The link to open: the tunnel URL with the one-time token. */
  link: string;
  /** Cancels the function call (idempotent). */
  stop(): Promise<void>;
  /** Resolves once stopped. */
  readonly stopped: Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startRemoteUi(options: RemoteUiOptions): Promise<RemoteUi> {
  const { provider } = options;
  const session = crypto.randomBytes(12).toString('hex');
  const token = crypto.randomBytes(32).toString('base64url');
  const dict = (await provider.stateDict()) as ModalStateDict;
  const connection = provider.connection();
  const fn = await connection.call('FunctionGet', (client) =>
    client.functions.fromName(provider.names.app, MODAL_FUNCTIONS.ui, { environment: connection.environment || undefined }),
  );
  const call = await fn.spawn([session, token]);
  options.print(`starting the UI on Modal (call ${call.functionCallId})…`);

  let stopping: Promise<void> | null = null;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const onSignal = (): void => void stop();
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      try {
        await connection.call('FunctionCallCancel', () => call.cancel({ terminateContainers: true }));
      } finally {
        await dict.delete(uiSessionKey(session)).catch(() => undefined);
        resolveStopped();
      }
    })();
    return stopping;
  };
  if (options.handleSignals ?? true) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  const deadline = Date.now() + (options.startTimeoutMs ?? 5 * 60_000);
  let record: UiSessionRecord | undefined;
  while (!record) {
    record = await dict.get<UiSessionRecord>(uiSessionKey(session));
    if (record) break;
    if (stopping) throw new ModalProviderError('the UI was stopped before it started');
    // A function that already ended (crashed on start) will never write its URL.
    const ended = await call.get({ timeoutMs: 0 }).then(
      () => 'it exited',
      // Still running: a zero-wait poll times out.
      (error: unknown) => (error instanceof TimeoutError ? null : (error as Error).message),
    );
    if (ended) {
      await stop();
      throw new ModalProviderError(`the UI function ended before opening its tunnel (${ended}); see \`modal app logs ${provider.names.app}\``);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new ModalProviderError('the UI did not open its tunnel in time; see `modal app logs` for the ui function');
    }
    await sleep(options.pollMs ?? 1000);
  }
  const link = `${record.url.replace(/\/$/, '')}/?token=${token}`;
  options.print(`UI: ${link}`);
  options.print('the link logs in once; press Ctrl-C to stop the UI');
  return { session, callId: call.functionCallId, url: record.url, link, stop, stopped };
}
