/** Small real PDFs with a text layer, made with pdf-lib, for tests that need many documents quickly. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';

export async function tinyPdf(text: string, pages = 1): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let p = 0; p < pages; p += 1) {
    const page = doc.addPage([612, 792]);
    page.drawText(`${text} (page ${p + 1})`, { x: 72, y: 700, size: 12, font });
  }
  // Fixed dates so the same text always gives the same bytes (and checksum).
  doc.setCreationDate(new Date(0));
  doc.setModificationDate(new Date(0));
  return doc.save();
}

/** Writes `count` PDFs named doc-0001.pdf … into `dir` (in sub-folders of 50), each with a unique phrase. */
export async function writeTinyPdfs(dir: string, count: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 1; i <= count; i += 1) {
    const folder = join(dir, `box-${String(Math.ceil(i / 50)).padStart(2, '0')}`);
    mkdirSync(folder, { recursive: true });
    const name = `doc-${String(i).padStart(4, '0')}.pdf`;
    writeFileSync(join(folder, name), await tinyPdf(`Exhibit marker unique${String(i).padStart(6, '0')}`));
    names.push(`${folder.slice(dir.length + 1)}/${name}`);
  }
  return names;
}
