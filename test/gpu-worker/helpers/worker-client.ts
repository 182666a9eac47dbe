/** Starting the worker in-process for tests, and talking to it over real HTTP. */
import { batchStateSchema, type BatchRequestInput, type BatchState } from '../../../src/protocol/worker-protocol.js';
import type { WorkerConfig } from '../../../src/gpu-worker/config.js';
import { createFileFetcher } from '../../../src/gpu-worker/fetch/file-fetcher.js';
import type { DocumentFetcher } from '../../../src/gpu-worker/fetch/document-fetcher.js';
import { corpusPath } from './corpus.js';

export const TOKEN = 'test-token-0123456789abcdef';

export function testConfig(overrides: Partial<WorkerConfig> = {}): WorkerConfig {
  return {
    token: TOKEN,
    sealKey: null,
    host: '127.0.0.1',
    port: 0,
    workerId: 'test-worker',
    ocrEngine: 'none',
    ocrLangs: 'eng',
    ocrPoolSize: 1,
    vlm: null,
    concurrency: 1,
    documentTimeoutMs: 60_000,
    documentHeapMb: 512,
    maxBodyBytes: 1024 * 1024,
    prefetch: { documents: 4, bytes: 256 * 1024 ** 2 },
    orphan: null,
    exitOnStdinClose: false,
    logLevel: 'silent',
    ...overrides,
  };
}

export interface Reply {
  status: number;
  body: unknown;
  headers: Headers;
}

export interface Api {
  request(method: string, path: string, init?: { body?: string; headers?: Record<string, string> }): Promise<Reply>;
  get(path: string): Promise<Reply>;
  post(path: string, body: unknown): Promise<Reply>;
  delete(path: string): Promise<Reply>;
}

export function api(baseUrl: string, token: string | null = TOKEN): Api {
  const request: Api['request'] = async (method, path, init = {}) => {
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers };
    const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(init.body ? { body: init.body } : {}) });
    const text = await response.text();
    const isJson = response.headers.get('content-type')?.includes('json');
    return { status: response.status, body: isJson ? (JSON.parse(text) as unknown) : text, headers: response.headers };
  };
  return {
    request,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    delete: (path) => request('DELETE', path),
  };
}

export function fileDocument(id: string, file: string): BatchRequestInput['documents'][number] {
  return { id, name: file, location: { kind: 'file', path: file.startsWith('/') ? file : corpusPath(file) } };
}

export function asState(reply: Reply): BatchState {
  return batchStateSchema.parse(reply.body);
}

/**
 * Long-polls a batch until it is done, or cancelled with nothing left to report (a poll of a settled batch
 * returns at once); returns every poll's state, in order.
 */
export async function pollUntilFinished(client: Api, batchId: string, waitMs = 10_000): Promise<BatchState[]> {
  const states: BatchState[] = [];
  let after = 0;
  for (;;) {
    const state = asState(await client.get(`/v1/batches/${batchId}?after=${after}&waitMs=${waitMs}`));
    states.push(state);
    after = state.next;
    if (state.status === 'done') return states;
    if (state.status === 'cancelled' && state.results.length === 0) return states;
  }
}

/** The real file fetcher, counting how often it is asked for a document. */
export function countingFileFetcher(): { fetcher: DocumentFetcher<'file'>; count(): number } {
  const real = createFileFetcher();
  let calls = 0;
  return {
    fetcher: {
      kind: 'file',
      fetch: (location, context) => {
        calls += 1;
        return real.fetch(location, context);
      },
    },
    count: () => calls,
  };
}
