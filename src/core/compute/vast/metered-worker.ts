/**
 * A worker that measures what it does: every batch that finishes reports its documents, pages, OCR pages, bytes
 * and wall time, so calibration learns the real seconds per document of each GPU model and OCR engine.
 */
import type { Clock, Worker, WorkerBatch, WorkerTarget } from '../../engine/ports.js';
import type { DocumentResult, WorkerHealth } from '../../../protocol/worker-protocol.js';
import type { BatchMeasure } from '../../store/calibration.js';

export class MeteredWorker implements Worker {
  constructor(
    private readonly inner: Worker,
    private readonly clock: Clock,
    private readonly onMeasured: (measure: BatchMeasure) => void,
  ) {}

  get id(): string {
    return this.inner.id;
  }

  get label(): string {
    return this.inner.label;
  }

  get target(): WorkerTarget {
    return this.inner.target;
  }

  async process(batch: WorkerBatch, onResult: (result: DocumentResult) => Promise<void>, signal: AbortSignal): Promise<void> {
    const started = this.clock.now();
    const measure: BatchMeasure = { ocrEngine: batch.options.ocr.engine, documents: 0, pages: 0, ocrPages: 0, bytes: 0, busyMs: 0 };
    await this.inner.process(
      batch,
      (result) => {
        measure.documents += 1;
        measure.pages += result.pages;
        measure.ocrPages += result.ocrPages;
        measure.bytes += result.bytes;
        return onResult(result);
      },
      signal,
    );
    // Only whole batches count: a batch cut short by a lost worker measures the loss, not the machine.
    measure.busyMs = this.clock.now() - started;
    if (measure.documents > 0) this.onMeasured(measure);
  }

  health(signal?: AbortSignal): Promise<WorkerHealth> {
    return this.inner.health(signal);
  }
}
