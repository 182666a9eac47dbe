/**
 * The words inside the sample documents. Everything here is fictional: no real person, court or case.
 * Text-layer pages are laid out by the PDF writer (so they are paragraphs); scanned pages are drawn line by
 * line exactly as written here, because the manifest promises the exact text an OCR engine should return.
 */

/** One block of a text-layer page, top to bottom. */
export interface TextBlock {
  kind: 'title' | 'heading' | 'line' | 'paragraph' | 'gap';
  text: string;
}

export const FICTION_NOTICE = 'FICTIONAL SAMPLE DOCUMENT - generated for software testing - not a real court record';

export const CASE_NUMBER = 'Case No. DEMO-0001';

const block = (kind: TextBlock['kind'], text = ''): TextBlock => ({ kind, text });

/** `letter-text.pdf`: a two-page hearing notice with a real text layer. */
export const LETTER_PAGES: readonly (readonly TextBlock[])[] = [
  [
    block('title', 'SUPERIOR COURT OF THE STATE OF EXAMPLE'),
    block('heading', 'County of Sampleton - Family Division'),
    block('gap'),
    block('line', CASE_NUMBER),
    block('line', 'In the Matter of: Robin Placeholder, a minor'),
    block('line', 'Date of this notice: January 15, 2025'),
    block('gap'),
    block('heading', 'NOTICE OF HEARING'),
    block(
      'paragraph',
      'To all parties and counsel of record: a hearing in the above matter has been set before the Honorable ' +
        'Jordan Example, Judge of the Superior Court. The hearing will take place on Monday, March 3, 2025, ' +
        'at 9:30 a.m. in Courtroom 4B of the Sampleton Family Justice Center, 100 Example Avenue, Sampleton.',
    ),
    block(
      'paragraph',
      'The purpose of the hearing is to review the parenting plan filed on December 2, 2024, and to consider ' +
        'the report of the court-appointed evaluator. Each party may present evidence and may call witnesses. ' +
        'Written declarations must be filed and served no later than ten court days before the hearing.',
    ),
    block(
      'paragraph',
      'If you need an interpreter or an accommodation under the Americans with Disabilities Act, contact ' +
        'the clerk at least five court days before the hearing. Failure to appear may result in the court ' +
        'making orders in your absence.',
    ),
  ],
  [
    block('heading', 'INSTRUCTIONS FOR THE HEARING'),
    block(
      'paragraph',
      'Please arrive thirty minutes early to pass through security. Bring two copies of every document you ' +
        'intend to rely on: one for the court and one for the other party. Mobile phones must be silenced in ' +
        'the courtroom. Children should not attend unless the court has ordered their presence.',
    ),
    block(
      'paragraph',
      'Remote appearance by video is available on request. Requests must be made in writing to the clerk ' +
        'and must state the reason remote appearance is needed. Video links are sent by the clerk one court ' +
        'day before the hearing.',
    ),
    block('gap'),
    block('line', 'Dated: January 15, 2025'),
    block('line', 'Casey Sample, Deputy Clerk of the Court'),
    block('line', 'Sampleton Family Justice Center - Clerk reference SAMPLE-7731'),
  ],
];

/** Phrases a correct worker finds in the text layer of each letter page. */
export const LETTER_SNIPPETS = [CASE_NUMBER, 'Clerk reference SAMPLE-7731'] as const;

/**
 * `scanned-notice.pdf`: drawn as pixels only. Common English words in a clean font, so tesseract's English
 * model reads them back almost exactly.
 */
export const SCANNED_NOTICE_LINES: readonly string[] = [
  'NOTICE OF CHANGE OF HEARING DATE',
  CASE_NUMBER,
  '',
  'This is a fictional sample document made for testing.',
  'The hearing in this matter has been moved to a new date.',
  'Please come to the court building on the morning of',
  'the new date and bring any papers you wish to show.',
  'If you cannot attend, write to the clerk before that day',
  'and explain why. The court will read every letter it gets.',
  '',
  'Thank you for your help and your patience.',
  'Office of the Clerk',
];

/** `photo-of-page.png`: a short typed paragraph, photographed. */
export const PHOTO_LINES: readonly string[] = [
  'Please keep this page with your other papers.',
  'The next meeting will be held on a Tuesday in the',
  'small room on the second floor of the library.',
  'Bring a pen and a copy of this note with you.',
];

/** `mixed.pdf` page 1: a cover letter with a text layer. */
export const MIXED_COVER_PAGE: readonly TextBlock[] = [
  block('title', 'COVER LETTER'),
  block('line', CASE_NUMBER),
  block('line', 'Date: February 3, 2025'),
  block('gap'),
  block(
    'paragraph',
    'Enclosed please find a scanned copy of the signed acknowledgment form for the fictional matter above. ' +
      'The original paper form is kept on file with the clerk. This cover letter has a text layer; the ' +
      'enclosure on the next page is an image and has to be read by optical character recognition.',
  ),
  block('gap'),
  block('line', 'Cover letter reference MIXED-2201'),
];

export const MIXED_COVER_SNIPPET = 'Cover letter reference MIXED-2201';

/** `mixed.pdf` page 2: the scanned enclosure. */
export const MIXED_SCAN_LINES: readonly string[] = [
  'ACKNOWLEDGMENT OF RECEIPT',
  '',
  'I have received a copy of the notice of hearing and',
  'I understand the date, the time and the place of it.',
  'I will tell the clerk at once if my address changes.',
  '',
  'Signed on the third day of February.',
];

/** `faxed-exhibits.tif`: two faxed pages in one TIFF file, as a fax server stores a transmission. */
export const FAX_PAGES_LINES: readonly (readonly string[])[] = [
  [
    'FAX TRANSMITTAL - EXHIBITS',
    CASE_NUMBER,
    '',
    'This is a fictional sample document made for testing.',
    'Two pages follow this cover, sent from the school office.',
    'Please call the sender if any page is missing or unclear.',
  ],
  [
    'EXHIBIT B - SCHOOL ATTENDANCE RECORD',
    '',
    'The student attended every school day in the autumn term',
    'except for two days of illness, both excused by a note.',
    'Prepared by the school office for the court file.',
  ],
];

/** `sealed.pdf`: one page behind the user password. */
export const SEALED_PASSWORD = 'demo-password';

export const SEALED_PAGE: readonly TextBlock[] = [
  block('title', 'CONFIDENTIAL EVALUATOR SUMMARY'),
  block('line', CASE_NUMBER),
  block('gap'),
  block(
    'paragraph',
    'This fictional summary is stored in an encrypted file to show how the system handles documents that ' +
      'need a password. Without the password it must be reported as encrypted; with the configured password ' +
      'its text layer must be read like any other document.',
  ),
  block('gap'),
  block('line', 'Sealed reference SEALED-4410'),
];

export const SEALED_SNIPPET = 'Sealed reference SEALED-4410';
