/**
 * Worker benchmark (`npm run bench:worker`, or `npm run bench -- worker`) over the shared corpus, every figure
 * beside a baseline measured in the same run:
 * - text-layer pages/s against poppler's `pdftotext` (target ≥ 0.5×);
 * - OCR pages/s and character error rate per engine against the native `tesseract` CLI (target: CER ≤ 2 % on
 *   the clean and noisy scans), and adaptive page segmentation before/after;
 * - prefetch overlap efficiency at 200 ms per-document source latency (target ≥ 80 %).
 * Missing tools (pdftotext, tesseract, a VLM server) are skipped with a notice. Results: bench/results/worker.json.
 */
import { pathToFileURL } from 'node:url';
import { printTable, writeResults, type Figure } from './report.js';
import { ocrFigures } from './worker-ocr.js';
import { prefetchFigures } from './worker-prefetch.js';
import { textLayerFigures } from './worker-text.js';

export async function runWorkerBench(): Promise<Figure[]> {
  const figures: Figure[] = [];
  figures.push(...(await textLayerFigures()));
  figures.push(...(await ocrFigures()));
  figures.push(...(await prefetchFigures()));
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await runWorkerBench();
  const file = writeResults('worker', figures);
  console.log(printTable(figures));
  console.error(`results: ${file}`);
}
