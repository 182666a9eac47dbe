/** What `aseagi doctor` checks and how a check reports. */

/**
 * `ok`: works. `problem`: will not work as configured (doctor exits non-zero). `warning`: works, but worse than it
 * could (slow OCR, little disk). `off`: not configured, which is allowed.
 */
export type CheckStatus = 'ok' | 'problem' | 'warning' | 'off';

export interface CheckResult {
  status: CheckStatus;
  /** What was found, for people. Never a secret. */
  detail: string;
  /** What to do about it (problems and warnings). */
  fix?: string | undefined;
}

export interface DoctorCheck {
  /** Short name shown in the table: "database", "Vast.ai". */
  name: string;
  /** Checks may take a while (a worker starts, a remote service answers); they must honour the signal. */
  run(signal: AbortSignal): Promise<CheckResult>;
}

export interface CheckOutcome extends CheckResult {
  name: string;
  ms: number;
}

export const ok = (detail: string): CheckResult => ({ status: 'ok', detail });
export const off = (detail: string, fix?: string): CheckResult => ({ status: 'off', detail, fix });
export const problem = (detail: string, fix: string): CheckResult => ({ status: 'problem', detail, fix });
export const warning = (detail: string, fix: string): CheckResult => ({ status: 'warning', detail, fix });
