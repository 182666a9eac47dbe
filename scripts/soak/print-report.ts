/** The soak's figures for people: one block per phase, then PASS or every violation. */
import type { CrashPhaseReport, PhaseReport, SoakReport, WorkerPhaseReport } from './run-soak.js';

const row = (label: string, value: string | number): string => `  ${label.padEnd(22)}${value}`;

function common(phase: PhaseReport): string[] {
  return [
    row('time', `${phase.seconds.toFixed(1)} s`),
    row('throughput', `${phase.docsPerSecond.toFixed(1)} documents/s (wall clock, every restart included)`),
    row('worker processes', `${phase.workersStarted} started, ${phase.workerReplacements} replacements`),
    row('lost', phase.books.lost.length),
    row('duplicated', phase.books.duplicated.length),
    row('left running', phase.leftovers.length),
  ];
}

function crashBlock(phase: CrashPhaseReport): string[] {
  const where = Object.entries(phase.killsByPhase).map(([name, count]) => `${count} ${name}`).join(', ');
  return [
    'Phase 1 — the CLI SIGKILLed at random moments, resumed each time',
    row('documents', phase.documents),
    row('CLI kills', `${phase.kills} (${where || 'none'})`),
    row('CLI runs', `${phase.runs} (${phase.resumes} × aseagi resume)`),
    row('requeued batches', `${phase.requeuedBatches} (in flight at a kill; recovery put them back in the queue)`),
    row('orphaned workers', `gone at most ${phase.maxOrphanMs} ms after their CLI died`),
    ...common(phase),
  ];
}

function workerBlock(phase: WorkerPhaseReport): string[] {
  return [
    'Phase 2 — worker processes SIGKILLed mid-batch while the session runs',
    row('documents', phase.documents),
    row('worker kills', phase.kills),
    row('requeued batches', phase.requeuedBatches),
    ...common(phase),
  ];
}

export function printReport(report: SoakReport): string {
  const real = report.realDocuments > 0 ? ` (${report.realDocuments} of them real corpus PDFs)` : '';
  const verdict = report.violations.length === 0 ? ['PASS: 0 lost, 0 duplicated, both sessions completed, nothing left running.'] : [`FAIL: ${report.violations.length} violations`, ...report.violations.map((v) => `  - ${v}`)];
  return [`Soak: ${report.documents} documents${real}, seed ${report.seed}`, '', ...crashBlock(report.crash), '', ...workerBlock(report.workers), '', ...verdict].join('\n');
}
