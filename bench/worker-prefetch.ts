/**
 * Prefetch overlap: a worker processes documents served with an artificial 200 ms source latency (a fake document
 * host), with prefetching off and on. Overlap efficiency is the share of the hideable download time that was
 * hidden: (T_off − T_on) / (T_off − T_ideal), where T_ideal is the processing time alone plus the first
 * download, which nothing can hide. 100 % means the network costs nothing after the first document.
 */
import { performance } from 'node:perf_hooks';
import type { DocumentResult } from '../src/protocol/worker-protocol.js';
import { startWorkerServer } from '../src/gpu-worker/server.js';
import { DocumentServer } from '../test/gpu-worker/helpers/document-server.js';
import { api, pollUntilFinished, testConfig } from '../test/gpu-worker/helpers/worker-client.js';
import type { Figure } from './report.js';

const LATENCY_MS = 200;
const DOCUMENTS = 16;
const FILE = 'tracemonkey.pdf';

interface PrefetchRun {
  seconds: number;
  results: DocumentResult[];
}

async function run(docs: DocumentServer, prefetchDocuments: number, batchId: string): Promise<PrefetchRun> {
  const config = testConfig({ concurrency: 1, prefetch: { documents: prefetchDocuments, bytes: 512 * 1024 ** 2 } });
  const server = await startWorkerServer({ config, nativeTesseract: null });
  try {
    const client = api(server.url);
    const documents = Array.from({ length: DOCUMENTS }, (_, index) => docs.document(`doc-${index}`, FILE, docs.sizeOf(FILE)));
    // Warm up the isolate thread outside the measurement.
    await client.post('/v1/batches', { batchId: `${batchId}-warm`, documents: documents.slice(0, 1), options: { ocr: { engine: 'none' } } });
    await pollUntilFinished(client, `${batchId}-warm`);
    const started = performance.now();
    await client.post('/v1/batches', { batchId, documents, options: { ocr: { engine: 'none' } } });
    const results = (await pollUntilFinished(client, batchId)).flatMap((state) => state.results);
    const seconds = (performance.now() - started) / 1000;
    if (results.some((result) => result.status !== 'ok')) throw new Error('prefetch bench: a document failed');
    return { seconds, results };
  } finally {
    await server.close();
  }
}

export async function prefetchFigures(): Promise<Figure[]> {
  const docs = await new DocumentServer().start();
  try {
    docs.serve(FILE);
    docs.delayMs = LATENCY_MS;
    const off = await run(docs, 0, 'prefetch-off');
    const on = await run(docs, 4, 'prefetch-on');
    const processingSeconds = off.results.reduce((sum, result) => sum + (result.timings.totalMs - result.timings.fetchMs), 0) / 1000;
    const ideal = processingSeconds + LATENCY_MS / 1000;
    const efficiency = Math.min(1, (off.seconds - on.seconds) / Math.max(1e-9, off.seconds - ideal));
    const metric = `prefetch overlap, ${DOCUMENTS} × ${FILE} at ${LATENCY_MS} ms source latency, 4 ahead`;
    return [
      { bench: 'worker', metric, value: Math.round(efficiency * 1000) / 10, unit: '%', target: '≥ 80 %', pass: efficiency >= 0.8, note: `T_on ${on.seconds.toFixed(2)} s, T_ideal ${ideal.toFixed(2)} s` },
      { bench: 'worker', metric: 'prefetch: batch time', value: on.seconds, unit: 's', baseline: { label: 'prefetch off', value: off.seconds }, ratio: off.seconds / on.seconds },
    ];
  } finally {
    await docs.http.stop();
  }
}
