/**
 * Which Airflow operator classes a manifest may name, and what each becomes.
 * Airflow 3 moved the core operators into the standard provider; Airflow 2 paths and short class names
 * still appear in real manifests, so all of them map to the same operator kind.
 */
import type { OperatorKind } from './model.js';

const STANDARD = 'airflow.providers.standard.operators';

/** Canonical (Airflow 3) class path per kind: what a short name is recorded as. */
const CANONICAL: Readonly<Record<string, string>> = {
  BashOperator: `${STANDARD}.bash.BashOperator`,
  PythonOperator: `${STANDARD}.python.PythonOperator`,
  BranchPythonOperator: `${STANDARD}.python.BranchPythonOperator`,
  ShortCircuitOperator: `${STANDARD}.python.ShortCircuitOperator`,
  EmptyOperator: `${STANDARD}.empty.EmptyOperator`,
  DummyOperator: `${STANDARD}.empty.EmptyOperator`,
};

const KIND_OF_CLASS: Readonly<Record<string, OperatorKind>> = {
  BashOperator: 'bash',
  PythonOperator: 'python',
  BranchPythonOperator: 'branch_python',
  ShortCircuitOperator: 'short_circuit',
  EmptyOperator: 'empty',
  DummyOperator: 'empty',
};

/** Every spelling we accept, full path → [kind, class name]. */
const OPERATOR_PATHS: ReadonlyMap<string, OperatorKind> = new Map<string, OperatorKind>([
  ['airflow.operators.bash.BashOperator', 'bash'],
  [`${STANDARD}.bash.BashOperator`, 'bash'],
  ...(['PythonOperator', 'BranchPythonOperator', 'ShortCircuitOperator'] as const).flatMap((name) => [
    [`airflow.operators.python.${name}`, KIND_OF_CLASS[name]!] as [string, OperatorKind],
    [`${STANDARD}.python.${name}`, KIND_OF_CLASS[name]!] as [string, OperatorKind],
  ]),
  ['airflow.operators.empty.EmptyOperator', 'empty'],
  [`${STANDARD}.empty.EmptyOperator`, 'empty'],
  // Airflow 2's name for EmptyOperator (removed in 3): old manifests still use it.
  ['airflow.operators.dummy.DummyOperator', 'empty'],
  ['airflow.operators.dummy_operator.DummyOperator', 'empty'],
  ...Object.entries(KIND_OF_CLASS),
]);

export const SUPPORTED_OPERATORS: readonly string[] = [...OPERATOR_PATHS.keys()];

export interface ResolvedOperator {
  kind: OperatorKind;
  /** The class path as written, or the canonical one for a short name. */
  operatorClass: string;
}

export function resolveOperator(name: string): ResolvedOperator | null {
  const kind = OPERATOR_PATHS.get(name);
  if (kind === undefined) return null;
  return { kind, operatorClass: name.includes('.') ? name : (CANONICAL[name] ?? name) };
}

/** Class names for a readable "supported operators" list. */
export function supportedOperatorNames(): string {
  return `${Object.keys(KIND_OF_CLASS).join(', ')} (short names, airflow.operators.* or ${STANDARD}.* paths)`;
}
