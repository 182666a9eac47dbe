/**
 * SQL for `compute_calibration`: what finished batches measured, summed per (compute kind, GPU model, OCR engine).
 * Estimates divide the sums (seconds per document, per page, per OCR page, per MB).
 */
import type { Database } from 'better-sqlite3';
import { statement } from './database.js';

/** What one finished batch measured. */
export interface BatchMeasure {
  ocrEngine: string;
  documents: number;
  pages: number;
  ocrPages: number;
  bytes: number;
  busyMs: number;
}

export interface CalibrationSample extends BatchMeasure {
  computeKind: string;
  gpuName: string;
  now: number;
}

export interface CalibrationRow {
  compute_kind: string;
  gpu_name: string;
  ocr_engine: string;
  batches: number;
  documents: number;
  pages: number;
  ocr_pages: number;
  bytes: number;
  busy_ms: number;
  updated_at: number;
}

/** Adds one finished batch's figures. */
export function recordCalibrationSample(db: Database, s: CalibrationSample): void {
  statement(
    db,
    `INSERT INTO compute_calibration (compute_kind, gpu_name, ocr_engine, batches, documents, pages, ocr_pages, bytes, busy_ms, updated_at)
     VALUES (@computeKind, @gpuName, @ocrEngine, 1, @documents, @pages, @ocrPages, @bytes, @busyMs, @now)
     ON CONFLICT (compute_kind, gpu_name, ocr_engine) DO UPDATE SET
       batches = batches + 1, documents = documents + excluded.documents, pages = pages + excluded.pages,
       ocr_pages = ocr_pages + excluded.ocr_pages, bytes = bytes + excluded.bytes, busy_ms = busy_ms + excluded.busy_ms,
       updated_at = excluded.updated_at`,
  ).run(s);
}

/** Every calibration row of one kind of compute, most documents first. */
export function calibrationRows(db: Database, computeKind: string): CalibrationRow[] {
  return statement<[string], CalibrationRow>(
    db,
    `SELECT * FROM compute_calibration WHERE compute_kind = ? ORDER BY documents DESC`,
  ).all(computeKind);
}
