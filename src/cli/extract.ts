/**
 * `aseagi extract <file…>`: one document at a time through a real worker process, for looking at what the worker
 * makes of a file. Prints the worker's result fields.
 */
import { resolve } from 'node:path';
import type { EngineLogger } from '../core/engine/types.js';
import { HttpWorker } from '../core/compute/http-worker.js';
import { startWorkerProcess } from '../core/compute/worker-process.js';
import type { BatchOptions, DocumentResult } from '../protocol/worker-protocol.js';

export async function extractFiles(
  files: readonly string[],
  options: { batchOptions: BatchOptions; workerEnv: Record<string, string>; logger: EngineLogger; onResult: (file: string, result: DocumentResult) => void },
): Promise<DocumentResult[]> {
  const process = await startWorkerProcess({ workerId: 'extract', env: options.workerEnv, logger: options.logger });
  const worker = new HttpWorker({ id: 'extract', label: 'local', baseUrl: process.url, token: process.token, sealKey: process.sealKey, target: { sharesFileSystem: true }, logger: options.logger });
  const results: DocumentResult[] = [];
  try {
    const controller = new AbortController();
    const documents = files.map((file, i) => ({ id: String(i), name: file, location: { kind: 'file' as const, path: resolve(file) } }));
    const byId = new Map(documents.map((d) => [d.id, d.name]));
    await worker.process(
      { batchId: `extract-${Date.now()}`, documents, options: options.batchOptions },
      (result) => {
        results.push(result);
        options.onResult(byId.get(result.id) ?? result.id, result);
        return Promise.resolve();
      },
      controller.signal,
    );
  } finally {
    await process.stop();
  }
  return results;
}
