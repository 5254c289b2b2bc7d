/**
 * Errors a user can fix (a wrong name, a missing file, bad input). The CLI prints their message as one
 * line; they never need a stack trace.
 */
export class UserInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserInputError';
  }
}

export class UnknownEnvironmentError extends UserInputError {
  constructor(env: string) {
    super(`unknown environment "${env}": create it with \`airflow-serverless create --env ${env} --config config.yaml\``);
    this.name = 'UnknownEnvironmentError';
  }
}

export class UnknownDagError extends UserInputError {
  constructor(dagId: string, env: string) {
    super(`unknown DAG "${dagId}" in environment "${env}" (see \`airflow-serverless dags list --env ${env}\`)`);
    this.name = 'UnknownDagError';
  }
}

export class UnknownRunError extends UserInputError {
  constructor(dagId: string, runId: string) {
    super(`DAG "${dagId}" has no run "${runId}"`);
    this.name = 'UnknownRunError';
  }
}

export class UnknownTaskError extends UserInputError {
  constructor(dagId: string, runId: string, taskId: string) {
    super(`run "${runId}" of DAG "${dagId}" has no task "${taskId}"`);
    this.name = 'UnknownTaskError';
  }
}
