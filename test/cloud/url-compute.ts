/**
 * An in-test compute provider whose workers behave like rented ones (no shared file system): they download each
 * document with the worker's real URL fetcher (src/gpu-worker/fetch/url-fetch.ts) over HTTP, check it is a PDF,
 * and take its text from the page's text operators. Stands in for real worker processes until the worker program
 * registers the URL fetcher; the lead swaps it for `createLocalCompute` then.
 */
import { readFile } from 'node:fs/promises';
import type { ComputeProvider, Worker, WorkerPool } from '../../src/core/engine/ports.js';
import { DocumentError } from '../../src/core/errors.js';
import { fetchUrlToFile } from '../../src/gpu-worker/fetch/url-fetch.js';
import type { BatchDocument, DocumentResult, WorkerHealth } from '../../src/protocol/worker-protocol.js';
import { countWords, joinPages } from '../../src/protocol/worker-protocol.js';

/** A small valid PDF (uncompressed, correct xref) with one line of text. */
export function minimalPdf(text: string): Buffer {
  const escaped = text.replace(/[\\()]/g, (c) => `\\${c}`);
  const stream = `BT /F1 12 Tf 72 712 Td (${escaped}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body));
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body);
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

function textOf(pdf: Buffer): string {
  if (!pdf.subarray(0, 5).equals(Buffer.from('%PDF-'))) throw new DocumentError('unsupported_type', 'not a PDF');
  const shown = [...pdf.toString('latin1').matchAll(/\(((?:\\.|[^\\)])*)\)\s*Tj/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
  return shown.join('\n');
}

function result(doc: BatchDocument, fields: Partial<DocumentResult>): DocumentResult {
  return {
    id: doc.id,
    status: 'ok',
    error: null,
    detectedType: null,
    bytes: 0,
    sha256: null,
    pages: 0,
    textPages: 0,
    ocrPages: 0,
    failedPages: [],
    chars: 0,
    words: 0,
    ocrConfidence: null,
    ocrEngine: null,
    timings: { fetchMs: 0, extractMs: 0, ocrMs: 0, totalMs: 1 },
    text: '',
    ...fields,
  };
}

async function processOne(doc: BatchDocument, maxBytes: number, tempDir: string, signal: AbortSignal): Promise<DocumentResult> {
  if (doc.location.kind !== 'url') return result(doc, { status: 'error', error: { code: 'fetch_failed', message: 'expected a url location', retryable: false } });
  try {
    const file = await fetchUrlToFile(doc.location, { maxBytes, tempDir, signal, retryPolicy: { baseMs: 2, maxMs: 10, jitter: 0.5 }, idleTimeoutMs: 5_000 });
    try {
      const text = joinPages([textOf(await readFile(file.path))]);
      return result(doc, { detectedType: 'application/pdf', bytes: file.bytes, sha256: file.sha256, pages: 1, textPages: 1, chars: text.length, words: countWords(text), text });
    } finally {
      await file.cleanup();
    }
  } catch (error) {
    if (!(error instanceof DocumentError)) throw error;
    return result(doc, { status: 'error', error: { code: error.code, message: error.message, retryable: error.retryable } });
  }
}

export interface UrlCompute extends ComputeProvider {
  /** Downloads per URL, to prove nothing was fetched twice. */
  readonly fetched: Map<string, number>;
}

export function createUrlFetchingCompute(tempDir: string, workers = 3): UrlCompute {
  const fetched = new Map<string, number>();
  const makeWorker = (n: number): Worker => ({
    id: `url-worker-${n}`,
    label: `url worker #${n}`,
    target: { sharesFileSystem: false },
    health: () => Promise.resolve({} as WorkerHealth),
    async process(batch, onResult, signal) {
      for (const doc of batch.documents) {
        if (signal.aborted) throw signal.reason;
        const key = doc.location.kind === 'url' ? doc.location.url : doc.id;
        fetched.set(key, (fetched.get(key) ?? 0) + 1);
        await onResult(await processOne(doc, batch.options.maxDocumentBytes, tempDir, signal));
      }
    },
  });
  return {
    kind: 'url-test',
    requiresConfirmation: false,
    maxWorkers: workers,
    fetched,
    describe: () => `${workers} in-test URL workers`,
    open(): Promise<WorkerPool> {
      const idle = Array.from({ length: workers }, (_, i) => makeWorker(i + 1));
      return Promise.resolve({
        maxWorkers: workers,
        acquire: () => Promise.resolve(idle.pop() ?? null),
        release: (worker) => {
          idle.push(worker);
          return Promise.resolve();
        },
        lost: () => Promise.resolve(),
        spentUsd: () => 0,
        canDispatch: () => Promise.resolve({ ok: true as const }),
        close: () => Promise.resolve(),
      });
    },
  };
}
