/**
 * Seconds per document on a given machine, as pure functions: measured figures for that GPU model and OCR engine
 * when this installation has enough of them, else figures measured on other GPUs, else stated priors. Every
 * answer says where it comes from (`basis`), because a person decides on money with it.
 */
import { SEED_SECONDS_PER_DOCUMENT } from '../../engine/estimate.js';
import type { CalibrationRow } from '../../store/calibration.js';

/** The priors, stated once. Measurements replace them after the first batches. */
export const PRIORS = {
  /** The seed's figure per document, used when nothing else is known. */
  seedSecondsPerDocument: SEED_SECONDS_PER_DOCUMENT,
  /** olmOCR served by vLLM on an Ada-class GPU (RTX 40xx, L4, L40S). */
  vlmPagesPerSecondAda: 1.25,
  /** Native tesseract, one process per core. */
  tesseractPagesPerSecondPerCore: 0.4,
  /** tesseract.js is about this much slower per core than the native binary (measured in this project). */
  tesseractJsSlowdown: 1.7,
  /** Text-layer pages (pdf.js), per core; small next to OCR, rough until measured. */
  textSecondsPerPage: 0.05,
  /** Cores assumed when an offer does not say. */
  defaultCores: 8,
} as const;

/** Fewer measured documents than this and a figure is not trusted yet. */
export const MIN_CALIBRATION_DOCUMENTS = 20;

/** What a typical document of the collection looks like, from a sample or from what was processed. */
export interface DocumentProfile {
  pagesPerDocument: number;
  /** Share of pages that need OCR, 0..1. */
  ocrShare: number;
  bytesPerDocument: number | null;
  basis: string;
}

export interface Throughput {
  secondsPerDocument: number;
  basis: string;
  measured: boolean;
}

export interface ThroughputInput {
  gpuName: string;
  ocrEngine: string;
  cpuCores: number | null;
  calibration: readonly CalibrationRow[];
  profile: DocumentProfile | null;
}

export function throughputFor(input: ThroughputInput): Throughput {
  return measuredHere(input) ?? measuredElsewhere(input) ?? prior(input);
}

function measuredHere(input: ThroughputInput): Throughput | null {
  const row = input.calibration.find((r) => r.gpu_name === input.gpuName && r.ocr_engine === input.ocrEngine);
  if (!row || row.documents < MIN_CALIBRATION_DOCUMENTS || row.busy_ms <= 0) return null;
  const seconds = row.busy_ms / 1000 / row.documents;
  return { secondsPerDocument: seconds, basis: `measured: ${seconds.toFixed(2)} s/document over ${row.documents} documents on ${row.gpu_name} (OCR ${row.ocr_engine})`, measured: true };
}

function measuredElsewhere(input: ThroughputInput): Throughput | null {
  const rows = input.calibration.filter((r) => r.ocr_engine === input.ocrEngine && r.busy_ms > 0);
  const documents = rows.reduce((sum, r) => sum + r.documents, 0);
  if (documents < MIN_CALIBRATION_DOCUMENTS) return null;
  const seconds = rows.reduce((sum, r) => sum + r.busy_ms, 0) / 1000 / documents;
  const where = rows.map((r) => r.gpu_name).slice(0, 3).join(', ');
  return {
    secondsPerDocument: seconds,
    basis: `measured on ${where} (${documents} documents, OCR ${input.ocrEngine}), not yet on ${input.gpuName}`,
    measured: true,
  };
}

function prior(input: ThroughputInput): Throughput {
  const { profile } = input;
  const ocrRate = ocrPagesPerSecond(input);
  if (!profile || !ocrRate) {
    return { secondsPerDocument: PRIORS.seedSecondsPerDocument, basis: `prior: the seed's ${PRIORS.seedSecondsPerDocument} s/document (nothing measured yet)`, measured: false };
  }
  const cores = input.cpuCores ?? PRIORS.defaultCores;
  const ocrPages = profile.pagesPerDocument * profile.ocrShare;
  const textPages = profile.pagesPerDocument - ocrPages;
  const seconds = ocrPages / ocrRate.pagesPerSecond + (textPages * PRIORS.textSecondsPerPage) / cores;
  return {
    secondsPerDocument: seconds,
    basis: `prior: ${ocrRate.label}, ${profile.pagesPerDocument.toFixed(1)} pages/document with ${Math.round(profile.ocrShare * 100)}% needing OCR (${profile.basis})`,
    measured: false,
  };
}

/** OCR pages per second on this machine by the engine's prior; null for `none` (no OCR: the seed figure stands). */
function ocrPagesPerSecond(input: ThroughputInput): { pagesPerSecond: number; label: string } | null {
  const cores = input.cpuCores ?? PRIORS.defaultCores;
  switch (input.ocrEngine) {
    case 'vlm':
      return { pagesPerSecond: PRIORS.vlmPagesPerSecondAda, label: `olmOCR ≈ ${PRIORS.vlmPagesPerSecondAda} pages/s (Ada-class GPU figure${isAdaClass(input.gpuName) ? '' : `; ${input.gpuName} may differ`})` };
    case 'tesseract':
    case 'auto':
      return { pagesPerSecond: PRIORS.tesseractPagesPerSecondPerCore * cores, label: `tesseract ≈ ${PRIORS.tesseractPagesPerSecondPerCore} pages/s per core × ${cores} cores` };
    case 'tesseract-js': {
      const perCore = PRIORS.tesseractPagesPerSecondPerCore / PRIORS.tesseractJsSlowdown;
      return { pagesPerSecond: perCore * cores, label: `tesseract.js ≈ ${perCore.toFixed(2)} pages/s per core × ${cores} cores` };
    }
    default:
      return null;
  }
}

export function isAdaClass(gpuName: string): boolean {
  return /RTX 40\d0|RTX 6000 Ada|\bL4\b|\bL40S?\b|RTX 4000 Ada|RTX 2000 Ada/i.test(gpuName);
}

/** The collection's profile from what was measured (all GPUs together), when there is enough of it. */
export function profileFromCalibration(rows: readonly CalibrationRow[]): DocumentProfile | null {
  const documents = rows.reduce((sum, r) => sum + r.documents, 0);
  if (documents < MIN_CALIBRATION_DOCUMENTS) return null;
  const pages = rows.reduce((sum, r) => sum + r.pages, 0);
  const ocrPages = rows.reduce((sum, r) => sum + r.ocr_pages, 0);
  const bytes = rows.reduce((sum, r) => sum + r.bytes, 0);
  return {
    pagesPerDocument: pages / documents,
    ocrShare: pages > 0 ? ocrPages / pages : 0,
    bytesPerDocument: bytes > 0 ? bytes / documents : null,
    basis: `measured over ${documents} documents`,
  };
}
