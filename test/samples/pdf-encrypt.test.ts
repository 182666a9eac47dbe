import { createHash } from 'node:crypto';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { encryptPdf, objectKey, rc4 } from '../../src/samples/pdf-encrypt.js';
import { openPdf, pageText, rejectionOf } from './pdf-reader.js';

const fileId = createHash('md5').update('pdf-encrypt test').digest();

async function plainPdf(text: string): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle('Plain title');
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([300, 200]).drawText(text, { x: 20, y: 100, size: 12, font });
  return doc.save({ useObjectStreams: false });
}

describe('rc4', () => {
  // Published RC4 test vectors.
  it.each([
    ['Key', 'Plaintext', 'bbf316e8d940af0ad3'],
    ['Wiki', 'pedia', '1021bf0420'],
    ['Secret', 'Attack at dawn', '45a01f645fc35b383552544b9bf5'],
  ])('key %s, plaintext %s', (key, plaintext, cipher) => {
    expect(rc4(Buffer.from(key), Buffer.from(plaintext)).toString('hex')).toBe(cipher);
  });

  it('is its own inverse', () => {
    const key = Buffer.from('0123456789abcdef');
    const data = Buffer.from('stream contents');
    expect(rc4(key, rc4(key, data))).toEqual(data);
  });
});

describe('objectKey', () => {
  it('differs per object and generation, and is 16 bytes for a 128-bit file key', () => {
    const fileKey = Buffer.alloc(16, 7);
    const keys = [objectKey(fileKey, 1, 0), objectKey(fileKey, 2, 0), objectKey(fileKey, 1, 1)];
    expect(keys.map((key) => key.length)).toEqual([16, 16, 16]);
    expect(new Set(keys.map((key) => key.toString('hex'))).size).toBe(3);
  });
});

describe('encryptPdf', () => {
  it('produces a file pdf.js opens with the password and only with it', async () => {
    const encrypted = await encryptPdf(await plainPdf('Hidden words 123'), { userPassword: 'abc', fileId });
    expect(Buffer.from(encrypted).toString('latin1')).not.toContain('Hidden words');

    expect((await rejectionOf(openPdf(encrypted))).name).toBe('PasswordException');
    const pdf = await openPdf(encrypted, 'abc');
    expect(await pageText(pdf, 1)).toContain('Hidden words 123');
    expect((await pdf.getMetadata()).info).toMatchObject({ Title: 'Plain title' });
    await pdf.destroy();
  });

  it('is deterministic for a fixed file identifier', async () => {
    const plain = await plainPdf('Same');
    const first = await encryptPdf(plain, { userPassword: 'abc', fileId });
    const second = await encryptPdf(plain, { userPassword: 'abc', fileId });
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
  });

  it('rejects a file identifier of the wrong length', async () => {
    const error = await rejectionOf(encryptPdf(await plainPdf('x'), { userPassword: 'a', fileId: new Uint8Array(8) }));
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('pdf_encrypt_bad_id');
  });

  it('rejects a password revision 3 cannot represent', async () => {
    const error = await rejectionOf(encryptPdf(await plainPdf('x'), { userPassword: 'пароль', fileId }));
    expect((error as AppError).code).toBe('pdf_encrypt_bad_password');
  });
});
