import type { Dag } from '../api.js';

/** What views share: notifications and the trigger dialog. */
export interface AppContext {
  notify(message: string, kind?: 'info' | 'error'): void;
  /** Opens the trigger dialog; resolves with the new run id, or null when cancelled. */
  trigger(dag: Pick<Dag, 'dag_id'>, params?: Record<string, unknown>): Promise<string | null>;
}

export interface View {
  element: HTMLElement;
  dispose(): void;
}
