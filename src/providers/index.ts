/**
 * Picks the provider implementation for an environment. The modal one is loaded lazily: its SDK and gRPC
 * stack cost startup time that local commands should not pay.
 */
import type { Config } from '../config/model.js';
import type { Provider } from './ports.js';
import { LocalProvider } from './local/provider.js';

export interface ProviderOptions {
  /** `$AIRFLOW_SERVERLESS_HOME` (where local environments and every environment's config live). */
  home?: string;
  /** The process environment (Modal credentials and the like). */
  env?: NodeJS.ProcessEnv;
}

export async function providerFor(config: Config, env: string, options: ProviderOptions = {}): Promise<Provider> {
  switch (config.provider) {
    case 'local':
      return new LocalProvider(env, config, options.home !== undefined ? { home: options.home } : {});
    case 'modal': {
      const { ModalProvider } = await import('./modal/index.js');
      return new ModalProvider(env, config, {
        ...(options.home !== undefined ? { home: options.home } : {}),
        ...(options.env !== undefined ? { env: options.env } : {}),
      });
    }
  }
}
