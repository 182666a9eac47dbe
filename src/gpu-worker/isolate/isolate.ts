/**
 * The server thread's handle on one isolate thread: typed request/response calls, a heap limit, and death
 * turned into coded document errors (out of memory → `too_complex`; any other death → `worker_crashed`).
 * An aborted call (wall-time limit) terminates the thread: a spinning pdf.js cannot be interrupted otherwise.
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../logger.js';
import { DocumentError } from '../../core/errors.js';
import { raceAbort } from '../abort.js';
import { BUFFER_LIMIT_EXIT_CODE } from './buffer-limit.js';
import type { IsolateOperation, IsolateOperations, IsolateReplyMessage, IsolateRequestMessage } from './isolate-messages.js';
import { spawnThread } from './spawn-thread.js';

export interface IsolateOptions {
  heapMb: number;
  logger: Logger;
}

interface Pending {
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  transfer?: ArrayBuffer[];
}

function deathError(error: Error & { code?: string }, heapMb: number): DocumentError {
  if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new DocumentError('too_complex', `the document needed more than the ${heapMb} MB memory limit`, {
      retryable: false,
    });
  }
  return new DocumentError('worker_crashed', `document isolate failed: ${error.message}`, { cause: error });
}

function exitError(code: number, heapMb: number): DocumentError {
  if (code === BUFFER_LIMIT_EXIT_CODE) {
    return new DocumentError('too_complex', `the document needed a buffer over the ${heapMb} MB memory limit`, { retryable: false });
  }
  return new DocumentError('worker_crashed', 'document isolate exited');
}

export class Isolate {
  readonly #thread: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #exited: Promise<number>;
  #nextId = 1;
  #death: DocumentError | null = null;
  /** Documents this isolate has worked on; the pool recycles old isolates. */
  documents = 0;

  constructor(options: IsolateOptions) {
    this.#thread = spawnThread(new URL('./isolate-thread.js', import.meta.url), {
      maxOldGenerationSizeMb: options.heapMb,
      maxYoungGenerationSizeMb: 64,
    });
    this.#thread.stdout.pipe(process.stderr, { end: false });
    this.#thread.on('message', (reply: IsolateReplyMessage) => this.#settle(reply));
    this.#thread.on('error', (error) => {
      options.logger.warn({ err: error }, 'document isolate died');
      this.#die(deathError(error, options.heapMb));
    });
    this.#exited = new Promise((resolve) => this.#thread.once('exit', (code) => resolve(code)));
    void this.#exited.then((code) => this.#die(exitError(code, options.heapMb)));
  }

  get alive(): boolean {
    return this.#death === null;
  }

  async call<K extends IsolateOperation>(
    op: K,
    args: IsolateOperations[K]['request'],
    options: CallOptions = {},
  ): Promise<IsolateOperations[K]['result']> {
    if (this.#death) throw this.#death;
    const id = this.#nextId++;
    const reply = new Promise<unknown>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    const message: IsolateRequestMessage<K> = { id, op, args };
    this.#thread.postMessage(message, options.transfer ?? []);
    try {
      return (await raceAbort(reply, options.signal)) as IsolateOperations[K]['result'];
    } catch (error) {
      if (options.signal?.aborted) await this.terminate();
      throw error;
    }
  }

  /** Stops the thread, whatever it is doing. Idempotent. */
  async terminate(): Promise<void> {
    this.#die(new DocumentError('worker_crashed', 'document isolate was stopped'));
    await this.#thread.terminate();
    await this.#exited;
  }

  #settle(reply: IsolateReplyMessage): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(new DocumentError(reply.error.code, reply.error.message));
  }

  #die(error: DocumentError): void {
    if (this.#death) return;
    this.#death = error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}
