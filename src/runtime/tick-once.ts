/**
 * One scheduler pass for any environment, as the `tick` command wants it: run in this process for a local
 * environment; elsewhere ask the provider to start one (on Modal, the tick function).
 */
import type { Logger } from '../logger.js';
import { LocalProvider } from '../providers/local/provider.js';
import type { TickResult } from '../scheduler/tick.js';
import type { Environment } from '../service/environments.js';
import { LocalRuntime } from './local-runtime.js';

export type TickOnceResult = { ran: 'here'; result: TickResult } | { ran: 'requested' };

export async function tickOnce(environment: Environment, logger: Logger): Promise<TickOnceResult> {
  if (!(environment.provider instanceof LocalProvider)) {
    await environment.provider.spawner().requestTick();
    return { ran: 'requested' };
  }
  const runtime = new LocalRuntime({ env: environment.name, config: environment.config, home: environment.home, logger });
  try {
    return { ran: 'here', result: await runtime.tick() };
  } finally {
    await runtime.close();
  }
}

/** `key=value` pairs of a tick result's non-empty counters and lists, for one log line. */
export function summariseTick(result: unknown): string {
  if (result === null || typeof result !== 'object') return String(result);
  const parts: string[] = [];
  for (const [key, value] of Object.entries(result as Record<string, unknown>)) {
    if (typeof value === 'number' && value !== 0) parts.push(`${key}=${Number.isInteger(value) ? value : value.toFixed(3)}`);
    else if (typeof value === 'boolean' && value) parts.push(key);
    else if (typeof value === 'string' && value !== '') parts.push(`${key}=${value}`);
    else if (Array.isArray(value) && value.length > 0) parts.push(`${key}=${value.length}`);
  }
  return parts.length > 0 ? parts.join(' ') : 'nothing to do';
}
