/** The doctor's report: a table (check, result, what was found, how to fix) and a one-line verdict. */
import { renderTable } from '../cli/format.js';
import type { CheckOutcome, CheckStatus } from './types.js';

const LABEL: Record<CheckStatus, string> = { ok: 'OK', problem: 'PROBLEM', warning: 'warning', off: 'off' };

export function renderReport(outcomes: readonly CheckOutcome[]): string {
  const table = renderTable(
    ['check', 'result', 'found', 'how to fix'],
    outcomes.map((o) => [o.name, LABEL[o.status], o.detail, o.status === 'ok' ? '' : (o.fix ?? '')]),
  );
  const problems = outcomes.filter((o) => o.status === 'problem').length;
  const warnings = outcomes.filter((o) => o.status === 'warning').length;
  const verdict =
    problems > 0
      ? `${problems} problem${problems === 1 ? '' : 's'} to fix${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}.`
      : `Everything configured works${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}.`;
  return `${table}\n\n${verdict}`;
}
