/**
 * A fake document host (like Drive's `files/{id}?alt=media`) on the HTTP fake toolkit: serves corpus files that
 * need the batch's bearer header, with an optional delay per document, and counts downloads in flight.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../src/logger.js';
import { HttpFake } from '../../fakes/http-fake.js';
import { corpusPath } from './corpus.js';
import { InFlightGauge } from '../../helpers/in-flight.js';

export const BATCH_SECRET = 'ya29.batch-secret-0123456789';

export class DocumentServer {
  readonly http = new HttpFake('documents');
  readonly #inFlight = new InFlightGauge();
  /** Milliseconds each answer waits before its first byte. */
  delayMs = 0;
  readonly #files = new Map<string, Buffer>();

  constructor() {
    this.http.on('GET', '/files/:name', async (request) => {
      const leave = this.#inFlight.enter();
      try {
        if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
        if (request.headers.authorization !== `Bearer ${BATCH_SECRET}`) return { status: 401, body: { error: 'unauthenticated' } };
        const file = this.#files.get(request.params.name ?? '');
        if (!file) return { status: 404, body: { error: { code: 404, message: 'File not found' } } };
        return { status: 200, headers: { 'content-type': 'application/pdf', 'accept-ranges': 'bytes' }, body: file };
      } finally {
        leave();
      }
    });
  }

  /** Serves a corpus file under `name` (default: its own file name). */
  serve(corpusFile: string, name = corpusFile.replace(/\//g, '_')): string {
    this.#files.set(name, readFileSync(corpusPath(corpusFile)));
    return name;
  }

  sizeOf(name: string): number {
    return this.#files.get(name)?.length ?? 0;
  }

  url(name: string): string {
    return `${this.http.url}/files/${encodeURIComponent(name)}`;
  }

  /** A batch document that downloads `name` from here with the batch's secret header. */
  document(id: string, name: string, sizeBytes?: number): { id: string; name: string; location: { kind: 'url'; url: string; headers: Record<string, string> }; sizeBytes?: number } {
    const document = { id, name, location: { kind: 'url' as const, url: this.url(name), headers: { authorization: `Bearer ${BATCH_SECRET}` } } };
    return sizeBytes === undefined ? document : { ...document, sizeBytes };
  }

  /** The most requests answered at once since the last reset. */
  get maxInFlight(): number {
    return this.#inFlight.max;
  }

  async start(): Promise<this> {
    await this.http.start();
    return this;
  }

  reset(): void {
    this.http.requests.splice(0);
    this.http.clearFaults();
    this.#inFlight.reset();
    this.delayMs = 0;
  }
}

/** A debug-level logger whose lines are kept, to check what a worker writes (and that no secret is among it). */
export function capturingLogger(): { logger: Logger; text(): string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), text: () => lines.join('') };
}
