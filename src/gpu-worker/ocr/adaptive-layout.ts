/**
 * Adaptive page segmentation for the tesseract engines. Automatic layout (PSM 3) is right for most pages, and
 * the only right mode for multi-column text, but measured on the corpus it fails two kinds of page badly:
 * degraded scans, where it drops whole paragraphs (CER 47 % where one uniform block, PSM 6, reads 21 %), and
 * tables, where it reads cell by cell down the columns (CER 30 % against 1 %). Both leave a trace in the PSM 3
 * reading itself — low confidence, few words for the ink on the page, or a fragmented layout of short lines —
 * so only those pages are read a second time with PSM 6, and the better of the two readings is kept.
 *
 * "Better" is the amount of text read with confidence, not the mean confidence: mean confidence prefers the
 * PSM 3 reading on both failing kinds (it is sure of the little it kept, and of cells in the wrong order).
 */
import type { GrayImage, LayoutStats, OcrEngine, OcrImage, OcrOutput } from './ocr-engine.js';

export const AUTO_LAYOUT_PSM = 3;
export const SINGLE_BLOCK_PSM = 6;

export interface AdaptiveLayoutPolicy {
  /** A reading less sure than this (mean word confidence) is tried again. */
  minConfidence: number;
  /** Fewer words per line than this, over enough lines and words, is a table read column by column. */
  tableWordsPerLine: number;
  minTableLines: number;
  minTableWords: number;
  /** More dark pixels per word read than this (at 300 dpi) means text was dropped. Printed text is ~800–1100. */
  maxInkPerWord: number;
  /** …on a page at least this much covered with ink (a near-blank page proves nothing). */
  minInkShare: number;
  /** A single-block reading replaces the automatic one only with this much more confident text… */
  gainFactor: number;
  /** …plus this many characters (photos yield a little confident-looking noise in either mode). */
  gainChars: number;
  /** For a table, a single-block reading with at least this share of the confident text wins (its order is right). */
  tableKeepShare: number;
}

export const DEFAULT_ADAPTIVE_LAYOUT: AdaptiveLayoutPolicy = {
  minConfidence: 75,
  tableWordsPerLine: 5,
  minTableLines: 8,
  minTableWords: 20,
  maxInkPerWord: 5_000,
  minInkShare: 0.01,
  gainFactor: 1.1,
  gainChars: 20,
  tableKeepShare: 0.95,
};

export type RetryReason = 'low_confidence' | 'table_like' | 'sparse_words';

/** Dark pixels (< 128), counted on a 1-in-16 sample and scaled to 300 dpi: cheap enough for every page. */
export function estimateInk(image: GrayImage): { inkAt300Dpi: number; share: number } {
  const step = 4;
  let dark = 0;
  let sampled = 0;
  for (let y = 0; y < image.height; y += step) {
    const row = y * image.width;
    for (let x = 0; x < image.width; x += step) {
      sampled += 1;
      if ((image.pixels[row + x] ?? 255) < 128) dark += 1;
    }
  }
  const share = sampled === 0 ? 0 : dark / sampled;
  const scale = (300 / Math.max(1, image.dpi)) ** 2;
  return { inkAt300Dpi: share * image.width * image.height * scale, share };
}

function looksLikeTable(layout: LayoutStats, policy: AdaptiveLayoutPolicy): boolean {
  if (layout.words < policy.minTableWords || layout.lines < policy.minTableLines) return false;
  return layout.words / layout.lines < policy.tableWordsPerLine;
}

function wordsMissing(image: OcrImage, layout: LayoutStats, policy: AdaptiveLayoutPolicy): boolean {
  if (image.kind !== 'gray') return false;
  const ink = estimateInk(image);
  if (ink.share < policy.minInkShare) return false;
  return ink.inkAt300Dpi / Math.max(1, layout.words) > policy.maxInkPerWord;
}

/** Why an automatic-layout reading deserves a second, single-block reading; null when it does not. */
export function retryReason(output: OcrOutput, image: OcrImage, policy = DEFAULT_ADAPTIVE_LAYOUT): RetryReason | null {
  const layout = output.layout;
  if (!layout) return null;
  if (looksLikeTable(layout, policy)) return 'table_like';
  if (layout.words > 0 && (output.confidence ?? 100) < policy.minConfidence) return 'low_confidence';
  if (wordsMissing(image, layout, policy)) return 'sparse_words';
  return null;
}

/** Whether the single-block reading is the better one. */
export function preferSingleBlock(auto: OcrOutput, block: OcrOutput, reason: RetryReason, policy = DEFAULT_ADAPTIVE_LAYOUT): boolean {
  const autoChars = auto.layout?.confidentChars ?? 0;
  const blockChars = block.layout?.confidentChars ?? 0;
  if (reason === 'table_like') return blockChars >= Math.max(policy.gainChars, autoChars * policy.tableKeepShare);
  return blockChars >= autoChars * policy.gainFactor + policy.gainChars;
}

export interface AdaptiveLayoutOptions {
  policy?: AdaptiveLayoutPolicy;
  /** Told about every second reading (logging, benchmarks). */
  onRetry?: (event: { reason: RetryReason; kept: 'auto' | 'single_block' }) => void;
}

/**
 * Wraps a tesseract engine: a page asked for with PSM 3 whose reading looks wrong is read again with PSM 6, and
 * the better reading returned. Other modes pass straight through.
 */
export function withAdaptiveLayout(engine: OcrEngine, options: AdaptiveLayoutOptions = {}): OcrEngine {
  const policy = options.policy ?? DEFAULT_ADAPTIVE_LAYOUT;
  return {
    name: engine.name,
    async recognize(image, request) {
      const auto = await engine.recognize(image, request);
      if (request.psm !== AUTO_LAYOUT_PSM) return auto;
      const reason = retryReason(auto, image, policy);
      if (!reason) return auto;
      const block = await engine.recognize(image, { ...request, psm: SINGLE_BLOCK_PSM });
      const useBlock = preferSingleBlock(auto, block, reason, policy);
      options.onRetry?.({ reason, kept: useBlock ? 'single_block' : 'auto' });
      return useBlock ? block : auto;
    },
    close: () => engine.close(),
  };
}
