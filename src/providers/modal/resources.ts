/**
 * The environment's app and secret on Modal: stopping the app, writing and deleting the secret. The one
 * module that knows the App and Secret RPC shapes.
 */
import type { ModalConnection } from './client.js';
import { isNotFound } from './client.js';

const LOOKUP_ONLY = 0;
const CREATE_OVERWRITE_IF_EXISTS = 3;
const APP_STOP_SOURCE_CLI = 1;

/** The app's id if it is deployed, undefined if Modal does not know it (never created, or stopped). */
export async function findApp(connection: ModalConnection, appName: string): Promise<string | undefined> {
  try {
    const app = await connection.call('AppGetOrCreate', (client) =>
      client.apps.fromName(appName, { environment: connection.environment || undefined }),
    );
    return app.appId;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Stops the app and terminates its containers; false if there was no app to stop. */
export async function stopApp(connection: ModalConnection, appName: string): Promise<boolean> {
  const appId = await findApp(connection, appName);
  if (appId === undefined) return false;
  await connection.call('AppStop', (client) => client.cpClient.appStop({ appId, source: APP_STOP_SOURCE_CLI }));
  return true;
}

/**
 * Creates the secret, or replaces all its values (re-running create rotates tokens and the database URL).
 * Values are never logged; only key names appear in errors.
 */
export async function writeSecret(connection: ModalConnection, name: string, values: Record<string, string>): Promise<void> {
  for (const key of Object.keys(values)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new RangeError(`invalid secret key name ${key}`);
  }
  await connection.call('SecretGetOrCreate', (client) =>
    client.cpClient.secretGetOrCreate({
      deploymentName: name,
      environmentName: connection.environment,
      objectCreationType: CREATE_OVERWRITE_IF_EXISTS,
      envDict: values,
    }),
  );
}

export async function deleteSecret(connection: ModalConnection, name: string): Promise<boolean> {
  let secretId: string;
  try {
    const found = await connection.call('SecretGetOrCreate', (client) =>
      client.cpClient.secretGetOrCreate({ deploymentName: name, environmentName: connection.environment, objectCreationType: LOOKUP_ONLY }),
    );
    secretId = found.secretId;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
  await connection.call('SecretDelete', (client) => client.cpClient.secretDelete({ secretId }));
  return true;
}
