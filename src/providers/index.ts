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

/** The module path is a variable so the compiler does not bind the CLI to the modal provider's file layout. */
const MODAL_PROVIDER_MODULE = './modal/index.js';

interface ModalProviderModule {
  createModalProvider(env: string, config: Config, options: ProviderOptions): Provider | Promise<Provider>;
}

export class ProviderUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderUnavailableError';
  }
}

export async function providerFor(config: Config, env: string, options: ProviderOptions = {}): Promise<Provider> {
  switch (config.provider) {
    case 'local':
      return new LocalProvider(env, config, options.home !== undefined ? { home: options.home } : {});
    case 'modal': {
      let module: Partial<ModalProviderModule>;
      try {
        module = (await import(MODAL_PROVIDER_MODULE)) as Partial<ModalProviderModule>;
      } catch (error) {
        throw new ProviderUnavailableError('the modal provider could not be loaded', { cause: error });
      }
      if (typeof module.createModalProvider !== 'function') {
        throw new ProviderUnavailableError('the modal provider is not available in this build');
      }
      return module.createModalProvider(env, config, options);
    }
  }
}
