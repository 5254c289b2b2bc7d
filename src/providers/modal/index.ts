/**
 * The modal provider's public surface. `createModalProvider` is what src/providers/index.ts loads lazily.
 */
import type { Config } from '../../config/model.js';
import type { ModalProviderOptions } from './provider.js';
import { ModalProvider } from './provider.js';

export { ModalProvider, type ModalProviderOptions } from './provider.js';
export { startRemoteUi, type RemoteUi, type RemoteUiOptions, type UiSessionRecord } from './remote-ui.js';
export { renderModalApp, pythonString, type ModalAppOptions } from './template.js';
export { ModalStateDict } from './state-dict.js';
export { ModalVolumeClient } from './volume-client.js';
export { ModalTaskSpawner } from './spawner.js';
export { ModalConnection, type ModalConnectionOptions, type GrpcMiddleware, type RetryPolicy } from './client.js';
export { modalResourceNames, MODAL_FUNCTIONS, type ModalResourceNames } from './names.js';
export { downloadDatabaseCopy, openSqliteCopy, ReopenableDatabase } from './database.js';
export * from './errors.js';

export function createModalProvider(env: string, config: Config, options: ModalProviderOptions = {}): ModalProvider {
  return new ModalProvider(env, config, options);
}
