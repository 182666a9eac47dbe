/**
 * The soak's folder: tiny text-layer PDFs (pdf-lib), each with a marker only it contains, plus a handful of real
 * scanned and mixed pages from the shared corpus when it is around (SHARED_DIR, ../shared, /work/shared).
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tinyPdf } from '../../test/helpers/tiny-pdfs.js';
import { ROOT } from './cli-process.js';

export interface SoakDocument {
  /** Path relative to the folder: the local source's document id. */
  sourceId: string;
  /** A word only this document's text contains; null for real pages (their text is not checked). */
  marker: string | null;
}

/** Real pages: scans (no text layer, so blank with OCR off) and text layers, a few pages each. */
const REAL_FILES = ['tracemonkey.pdf', 'issue7200.pdf', 'synth_clean_2p.pdf', 'mixed_word_plus_scan.pdf', 'scan-bad.pdf'];

export function findCorpus(): string | null {
  const candidates = [process.env.SHARED_DIR, resolve(ROOT, '..', 'shared'), '/work/shared'];
  const found = candidates.find((dir) => dir && existsSync(join(dir, 'corpus', 'README.md')));
  return found ? join(found, 'corpus') : null;
}

export function markerOf(index: number): string {
  return `soakmarker${String(index).padStart(6, '0')}`;
}

/** Writes `count` documents (real ones included) into `folder`, 50 to a sub-folder. */
export async function makeSoakFolder(folder: string, count: number, realPages: boolean): Promise<SoakDocument[]> {
  const corpus = realPages ? findCorpus() : null;
  const real = corpus ? REAL_FILES.slice(0, Math.max(0, Math.min(REAL_FILES.length, count - 1))) : [];
  const documents: SoakDocument[] = [];
  for (let i = 1; i <= count - real.length; i += 1) {
    const box = `box-${String(Math.ceil(i / 50)).padStart(3, '0')}`;
    mkdirSync(join(folder, box), { recursive: true });
    const sourceId = `${box}/doc-${String(i).padStart(5, '0')}.pdf`;
    writeFileSync(join(folder, sourceId), await tinyPdf(`Exhibit ${markerOf(i)} of the soak`));
    documents.push({ sourceId, marker: markerOf(i) });
  }
  if (corpus && real.length > 0) {
    mkdirSync(join(folder, 'real'), { recursive: true });
    for (const file of real) {
      copyFileSync(join(corpus, file), join(folder, 'real', file));
      documents.push({ sourceId: `real/${file}`, marker: null });
    }
  }
  return documents;
}
