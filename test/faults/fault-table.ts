/**
 * THE fault matrix: every fake service × every fault, one cell each. A cell is run here (`run`: a small real session
 * in test/faults/<fake>-faults.test.ts), proven by an existing session-level test (`proven`: named as
 * `file › test name`, checked to exist by fault-matrix.test.ts), or meaningless for that service (`na`, with why).
 * docs/reliability.md renders the same table.
 */

export const FAKES = ['drive', 'vast', 'supabase', 'anthropic', 'telegram'] as const;
export type FakeName = (typeof FAKES)[number];

export const FAULTS = [
  '429 with retry-after',
  '429 without retry-after',
  '5xx',
  'timeout (hang)',
  'connection reset',
  'slow body',
  'down past retries',
  'vanished file',
  'instance stuck loading',
  'instance exits',
  'offer vanished',
  'no credit',
] as const;
export type FaultName = (typeof FAULTS)[number];

interface CellBase {
  fake: FakeName;
  fault: FaultName;
}

export type Cell =
  | (CellBase & { kind: 'run'; expect: string })
  | (CellBase & { kind: 'proven'; expect: string; by: string })
  | (CellBase & { kind: 'na'; why: string });

const run = (fake: FakeName, fault: FaultName, expect: string): Cell => ({ fake, fault, kind: 'run', expect });
const proven = (fake: FakeName, fault: FaultName, expect: string, by: string): Cell => ({ fake, fault, kind: 'proven', expect, by });
const na = (fake: FakeName, fault: FaultName, why: string): Cell => ({ fake, fault, kind: 'na', why });

const ALL_DONE = 'completes, every document done once in SQLite and Supabase';
const NOT_RENTING = (fake: string): string => `${fake} rents no machines`;
const NO_FILES = (fake: string): string => `${fake} holds no documents`;

export const MATRIX: readonly Cell[] = [
  // ── Google Drive: listing (files.list) and downloads by the workers (files/<id>?alt=media) ──
  run('drive', '429 with retry-after', `${ALL_DONE} (listing and downloads wait as told)`),
  run('drive', '429 without retry-after', `${ALL_DONE} (backoff with jitter)`),
  run('drive', '5xx', ALL_DONE),
  run('drive', 'timeout (hang)', `${ALL_DONE} (request timeout, retried)`),
  run('drive', 'connection reset', ALL_DONE),
  run('drive', 'slow body', ALL_DONE),
  run('drive', 'down past retries', 'listing: planning fails saying so, no session left; a download: that document fails fetch_failed, the rest completes'),
  run('drive', 'vanished file', 'completes; the deleted file is skipped (not_found) in SQLite and Supabase, never analysed'),
  na('drive', 'instance stuck loading', NOT_RENTING('Drive')),
  na('drive', 'instance exits', NOT_RENTING('Drive')),
  na('drive', 'offer vanished', NOT_RENTING('Drive')),
  na('drive', 'no credit', 'Drive is not billed per request (egress quota: see docs/vast.md estimates)'),

  // ── Vast.ai: offers, create, instance reads, destroy; instances run real worker processes ──
  run('vast', '429 with retry-after', 'completes; Vast sends no retry-after, the client backs off per endpoint anyway; no instance left'),
  run('vast', '429 without retry-after', 'completes through 429s on search, create and destroy; nothing rented twice; no instance left'),
  run('vast', '5xx', 'completes; a 5xx create is looked up by label and adopted, never created twice; no instance left'),
  run('vast', 'timeout (hang)', 'completes; a create whose answer never comes is found by label and adopted; no instance left'),
  run('vast', 'connection reset', 'completes; a reset create rents under a new label, the first is looked for again at the end; no instance left'),
  run('vast', 'slow body', 'completes; no instance left'),
  run('vast', 'down past retries', 'pauses (integration) with Vast.ai’s answer; nothing rented, no instance left'),
  na('vast', 'vanished file', 'Vast holds no documents (the worker’s download is the Drive cell)'),
  run('vast', 'instance stuck loading', 'the stuck machine is destroyed after VAST_LOADING_TIMEOUT_MIN, another rented; completes; no instance left'),
  run('vast', 'instance exits', 'a machine that exits while starting is destroyed and replaced; completes; no instance left'),
  run('vast', 'offer vanished', 'the next offer is rented; completes; nothing rented twice; no instance left; when every offer vanishes, pauses (no_workers) saying so'),
  proven('vast', 'no credit', 'pauses (credit) before renting anything; no instance', 'test/vast/supervision.test.ts › a session that cannot rent for lack of credit pauses with reason credit, renting nothing'),

  // ── Supabase: upserts into document_journal / document_text ──
  run('supabase', '429 with retry-after', ALL_DONE),
  run('supabase', '429 without retry-after', ALL_DONE),
  run('supabase', '5xx', ALL_DONE),
  run('supabase', 'timeout (hang)', `${ALL_DONE} (the timed-out upsert is sent again: idempotent)`),
  run('supabase', 'connection reset', ALL_DONE),
  na('supabase', 'slow body', 'the sink’s upserts are answered 201 with no body (PostgREST’s return=minimal): there is nothing to slow down; a slow answer is the timeout cell'),
  run('supabase', 'down past retries', 'pauses (integration) with Supabase’s message; nothing marked done that Supabase lacks; resuming completes exactly once'),
  na('supabase', 'vanished file', `${NO_FILES('Supabase')} (a missing table: test/cloud/supabase-sink.test.ts, analysis-stage.test.ts)`),
  na('supabase', 'instance stuck loading', NOT_RENTING('Supabase')),
  na('supabase', 'instance exits', NOT_RENTING('Supabase')),
  na('supabase', 'offer vanished', NOT_RENTING('Supabase')),
  na('supabase', 'no credit', 'Supabase is not billed per request'),

  // ── Anthropic: Message Batches (create, poll, results) ──
  run('anthropic', '429 with retry-after', `${ALL_DONE}, each document analysed and paid once`),
  run('anthropic', '429 without retry-after', `${ALL_DONE}, each document analysed and paid once`),
  run('anthropic', '5xx', `${ALL_DONE}, each document analysed and paid once`),
  run('anthropic', 'timeout (hang)', `${ALL_DONE}, each document analysed and paid once`),
  run('anthropic', 'connection reset', `${ALL_DONE}, each document analysed and paid once`),
  run('anthropic', 'slow body', `${ALL_DONE}, each document analysed and paid once`),
  run('anthropic', 'down past retries', 'pauses (integration) with the API’s message, extraction kept; resuming finishes the analyses, none paid twice'),
  na('anthropic', 'vanished file', `${NO_FILES('Anthropic')} (an expired batch request: test/cloud/claude-analyzer.test.ts)`),
  na('anthropic', 'instance stuck loading', NOT_RENTING('Anthropic')),
  na('anthropic', 'instance exits', NOT_RENTING('Anthropic')),
  na('anthropic', 'offer vanished', NOT_RENTING('Anthropic')),
  proven('anthropic', 'no credit', 'the budget cap pauses (budget) before a Claude call would pass it', 'test/cloud/analysis-stage.test.ts › pauses for the budget before a Claude call would pass it'),

  // ── Telegram: notifications (sendMessage); the session never depends on them ──
  run('telegram', '429 with retry-after', 'the session completes; every notice arrives once, after the wait Telegram asks for'),
  run('telegram', '429 without retry-after', 'the session completes; that notice is dropped and logged (Telegram always sends retry_after; grammY retries only with it)'),
  run('telegram', '5xx', 'the session completes; every notice arrives once'),
  run('telegram', 'timeout (hang)', 'the session completes; every notice arrives (the hung send is repeated)'),
  run('telegram', 'connection reset', 'the session completes; every notice arrives once'),
  run('telegram', 'slow body', 'the session completes; every notice arrives once'),
  run('telegram', 'down past retries', 'the session completes all the same; the lost notices are logged; later ones arrive'),
  na('telegram', 'vanished file', NO_FILES('Telegram')),
  na('telegram', 'instance stuck loading', NOT_RENTING('Telegram')),
  na('telegram', 'instance exits', NOT_RENTING('Telegram')),
  na('telegram', 'offer vanished', NOT_RENTING('Telegram')),
  na('telegram', 'no credit', 'Telegram is free'),
];

export type RunCell = Cell & { kind: 'run' };

/** The cells of one fake that this suite runs, as `it.each` rows: `[title, cell]` (titles are shown whole). */
export function runCells(fake: FakeName): [string, RunCell][] {
  return MATRIX.filter((c): c is RunCell => c.fake === fake && c.kind === 'run').map((c) => [`${c.fake} × ${c.fault}: ${c.expect}`, c]);
}

const MARK: Record<Cell['kind'], string> = { run: 'run', proven: 'proven', na: 'N/A' };

/** The matrix as the Markdown table docs/reliability.md shows (faults down, fakes across); kept equal by a test. */
export function renderMatrix(): string {
  const header = `| fault | ${FAKES.join(' | ')} |`;
  const rule = `|---|${FAKES.map(() => '---').join('|')}|`;
  const rows = FAULTS.map((fault) => `| ${fault} | ${FAKES.map((fake) => MARK[MATRIX.find((c) => c.fake === fake && c.fault === fault)!.kind]).join(' | ')} |`);
  return [header, rule, ...rows].join('\n');
}
