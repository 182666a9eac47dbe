import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTiffLayout } from '../../src/gpu-worker/image/tiff-pages.js';
import { SAMPLE_SPECS, makeSamples } from '../../src/samples/make-samples.js';
import type { SampleManifest } from '../../src/samples/make-samples.js';
import { openPdf, pageText, rejectionOf } from './pdf-reader.js';

const PASSWORD_NEEDED = 1;
const PASSWORD_INCORRECT = 2;

let root: string;
let dir: string;
let manifest: SampleManifest;

const read = (file: string): Promise<Buffer> => readFile(path.join(dir, file));

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'aseagi-samples-'));
  dir = path.join(root, 'nested', 'samples');
  manifest = await makeSamples(dir);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('makeSamples', () => {
  it('writes every sample into a directory it creates, and describes each', async () => {
    const expectedFiles = [
      'letter-text.pdf',
      'scanned-notice.pdf',
      'photo-of-page.png',
      'mixed.pdf',
      'faxed-exhibits.tif',
      'damaged.pdf',
      'sealed.pdf',
      'readme-not-a-document.docx',
    ];
    expect(Object.keys(manifest.files)).toEqual(expectedFiles);
    expect(manifest.dir).toBe(path.resolve(dir));
    for (const file of expectedFiles) {
      const entry = manifest.files[file]!;
      const bytes = await read(file);
      expect(entry.written).toBe(true);
      expect(entry.bytes).toBe(bytes.length);
      expect(entry.bytes).toBeGreaterThan(0);
      expect(entry.expected.errorCode === null).toBe(entry.expected.outcome !== 'error');
    }
  });

  it('keeps the whole set small', () => {
    const total = Object.values(manifest.files).reduce((sum, entry) => sum + entry.bytes, 0);
    expect(total).toBeLessThan(1.5 * 1024 * 1024);
  });

  it('produces identical bytes on a second run', async () => {
    const again = await makeSamples(path.join(root, 'second-run'));
    for (const [file, entry] of Object.entries(manifest.files)) {
      expect(again.files[file]!.sha256, file).toBe(entry.sha256);
      expect(await readFile(path.join(again.dir, file))).toEqual(await read(file));
    }
  });

  it('keeps existing files unless forced', async () => {
    const keepDir = path.join(root, 'keep');
    await makeSamples(keepDir);
    const edited = Buffer.from('%PDF-1.4 edited by hand\n');
    await writeFile(path.join(keepDir, 'letter-text.pdf'), edited);

    const kept = await makeSamples(keepDir);
    expect(kept.files['letter-text.pdf']!.written).toBe(false);
    expect(kept.files['letter-text.pdf']!.bytes).toBe(edited.length);
    expect(await readFile(path.join(keepDir, 'letter-text.pdf'))).toEqual(edited);

    const forced = await makeSamples(keepDir, { force: true });
    expect(forced.files['letter-text.pdf']!.written).toBe(true);
    expect(forced.files['letter-text.pdf']!.sha256).toBe(manifest.files['letter-text.pdf']!.sha256);
  });

  it('lists every spec exactly once', () => {
    expect(new Set(SAMPLE_SPECS.map((spec) => spec.file)).size).toBe(SAMPLE_SPECS.length);
  });
});

describe('letter-text.pdf', () => {
  it('has a two-page text layer with the expected snippets', async () => {
    const entry = manifest.files['letter-text.pdf']!;
    const pdf = await openPdf(await read('letter-text.pdf'));
    expect(pdf.numPages).toBe(entry.expected.pageCount);
    for (const page of entry.expected.pages) {
      expect(page.source).toBe('text');
      expect(await pageText(pdf, page.page)).toContain(page.snippet);
    }
    expect(await pageText(pdf, 1)).toContain('Case No. DEMO-0001');
    await pdf.destroy();
  });
});

describe('scanned pages', () => {
  it('scanned-notice.pdf has no text layer, only an image, and the manifest holds the drawn text', async () => {
    const entry = manifest.files['scanned-notice.pdf']!;
    const pdf = await openPdf(await read('scanned-notice.pdf'));
    expect(pdf.numPages).toBe(1);
    expect(await pageText(pdf, 1)).toBe('');
    const operators = await (await pdf.getPage(1)).getOperatorList();
    expect(operators.fnArray).toContain(OPS.paintImageXObject);
    expect(operators.fnArray).not.toContain(OPS.showText);
    expect(entry.expected).toMatchObject({ outcome: 'ocr', textPages: 0, ocrPages: 1 });
    expect(entry.expected.pages[0]!.drawnText).toContain('Case No. DEMO-0001');
    expect(entry.expected.pages[0]!.drawnText).toContain(entry.expected.pages[0]!.snippet);
    await pdf.destroy();
  });

  it('mixed.pdf has a text layer on page 1 and only an image on page 2', async () => {
    const entry = manifest.files['mixed.pdf']!;
    const pdf = await openPdf(await read('mixed.pdf'));
    expect(pdf.numPages).toBe(2);
    expect(await pageText(pdf, 1)).toContain(entry.expected.pages[0]!.snippet);
    expect(await pageText(pdf, 2)).toBe('');
    expect(entry.expected).toMatchObject({ outcome: 'ocr', textPages: 1, ocrPages: 1 });
    await pdf.destroy();
  });

  it('faxed-exhibits.tif is one TIFF holding two pages', async () => {
    const bytes = new Uint8Array(await read('faxed-exhibits.tif'));
    expect(Buffer.from(bytes.subarray(0, 4))).toEqual(Buffer.from([0x49, 0x49, 42, 0]));
    expect(readTiffLayout(bytes)?.pages).toHaveLength(2);
    expect(manifest.files['faxed-exhibits.tif']!.expected).toMatchObject({ outcome: 'ocr', pageCount: 2, textPages: 0, ocrPages: 2 });
  });

  it('photo-of-page.png is a PNG image', async () => {
    const bytes = await read('photo-of-page.png');
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(bytes.readUInt32BE(16)).toBeGreaterThanOrEqual(1000);
    expect(manifest.files['photo-of-page.png']!.detectedType).toBe('image/png');
  });
});

describe('damaged.pdf', () => {
  it('looks like a PDF but pdf.js rejects it as invalid', async () => {
    const bytes = await read('damaged.pdf');
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const error = await rejectionOf(openPdf(bytes));
    expect(error.name).toBe('InvalidPDFException');
    expect(manifest.files['damaged.pdf']!.expected.errorCode).toBe('corrupt');
  });
});

describe('sealed.pdf', () => {
  it('asks pdf.js for a password', async () => {
    const error = await rejectionOf(openPdf(await read('sealed.pdf')));
    expect(error.name).toBe('PasswordException');
    expect(error.code).toBe(PASSWORD_NEEDED);
    expect(manifest.files['sealed.pdf']!.expected.errorCode).toBe('encrypted');
  });

  it('refuses a wrong password', async () => {
    const error = await rejectionOf(openPdf(await read('sealed.pdf'), 'not-the-password'));
    expect(error.name).toBe('PasswordException');
    expect(error.code).toBe(PASSWORD_INCORRECT);
  });

  it('opens with the user password and its text is readable', async () => {
    const entry = manifest.files['sealed.pdf']!;
    expect(entry.withPassword?.password).toBe('demo-password');
    const pdf = await openPdf(await read('sealed.pdf'), 'demo-password');
    expect(await pageText(pdf, 1)).toContain(entry.withPassword!.expected.snippet);
    const metadata = await pdf.getMetadata();
    expect((metadata.info as { Title?: string }).Title).toContain('fictional');
    await pdf.destroy();
  });

  it('keeps no string or page text in the clear', async () => {
    const raw = (await read('sealed.pdf')).toString('latin1');
    expect(raw).toContain('/Encrypt');
    expect(raw).not.toContain('SEALED-4410');
    expect(raw).not.toContain('fictional');
  });
});

describe('readme-not-a-document.docx', () => {
  it('is neither a known format nor text', async () => {
    const bytes = await read('readme-not-a-document.docx');
    const head = bytes.subarray(0, 4).toString('latin1');
    for (const magic of ['%PDF', 'PK\u0003\u0004', '\u0089PNG', 'II*\u0000', 'MM\u0000*']) expect(head).not.toBe(magic);
    expect(bytes[0] === 0xff && bytes[1] === 0xd8).toBe(false);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
    expect(manifest.files['readme-not-a-document.docx']!.expected.errorCode).toBe('unsupported_type');
  });
});

const qpdf = findQpdf();

describe.skipIf(!qpdf)('sealed.pdf with qpdf', () => {
  const check = (password: string): string =>
    execFileSync(qpdf!, ['--check', `--password=${password}`, path.join(dir, 'sealed.pdf')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  it('passes qpdf --check with the user password', () => {
    const report = check('demo-password');
    expect(report).toMatch(/R = 3/);
    expect(report).toMatch(/Supplied password is user password/);
    expect(report).toMatch(/No syntax or stream encoding errors found/);
  });

  it('also opens with the owner password, which proves the /O entry', () => {
    expect(check('demo-password#owner')).toMatch(/Supplied password is owner password/);
  });

  it('is refused without the password', () => {
    expect(() => check('')).toThrow(/invalid password/);
  });
});

function findQpdf(): string | null {
  try {
    return execFileSync('which', ['qpdf'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}
