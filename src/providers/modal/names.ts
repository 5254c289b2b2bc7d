/** Modal object names of one environment (DESIGN.md glossary). The only place they are spelled. */
export interface ModalResourceNames {
  app: string;
  volume: string;
  dict: string;
  secret: string;
}

export function modalResourceNames(env: string): ModalResourceNames {
  return {
    app: `airflow-serverless-${env}`,
    volume: `airflow-dags-${env}`,
    dict: `airflow-state-${env}`,
    secret: `airflow-secrets-${env}`,
  };
}

/** Function names inside the deployed app (the Python launcher defines exactly these). */
export const MODAL_FUNCTIONS = { tick: 'tick', task: 'run_task', ui: 'ui' } as const;

/** Where the volume is mounted in every container. */
export const VOLUME_MOUNT_PATH = '/vol';

/** Where the runtime (dist + production node_modules) lives in the image. */
export const RUNTIME_ROOT = '/opt/airflow-serverless';
