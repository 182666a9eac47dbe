/**
 * olmOCR answers with markdown that starts with a YAML front matter block describing the page:
 *
 *   ---
 *   primary_language: en
 *   is_rotation_valid: true
 *   rotation_correction: 0
 *   is_table: false
 *   is_diagram: false
 *   ---
 *   The page's text…
 *
 * An answer without a complete, well-typed block is not a valid page reading (the model lost its way).
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const pageFactsSchema = z.object({
  // Missing means unknown, as olmOCR reads it; the other fields are required.
  primary_language: z.string().nullable().default(null),
  is_rotation_valid: z.boolean(),
  /** Degrees the page must turn to read upright; olmOCR turns the image counter-clockwise by this much. */
  rotation_correction: z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]),
  is_table: z.boolean(),
  is_diagram: z.boolean(),
});

export type PageFacts = z.infer<typeof pageFactsSchema>;

export interface PageReading {
  facts: PageFacts;
  /** The page's text (markdown: tables as HTML, equations as LaTeX); empty for a page without text. */
  text: string;
}

export class FrontMatterError extends Error {
  override readonly name = 'FrontMatterError';
}

function splitFrontMatter(answer: string): { yaml: string; text: string } {
  const content = answer.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  if (!content.startsWith('---\n')) throw new FrontMatterError('the answer does not start with a front matter block');
  const end = content.indexOf('\n---', 4);
  if (end === -1) throw new FrontMatterError('the front matter block is not closed');
  return { yaml: content.slice(4, end), text: content.slice(end + 4).trim() };
}

/** Parses a model answer; throws {@link FrontMatterError} when it is not a complete page reading. */
export function parsePageReading(answer: string): PageReading {
  const { yaml, text } = splitFrontMatter(answer);
  let raw: unknown;
  try {
    raw = parseYaml(yaml) ?? {};
  } catch (error) {
    throw new FrontMatterError(`the front matter is not YAML: ${(error as Error).message}`);
  }
  const facts = pageFactsSchema.safeParse(raw);
  if (!facts.success) {
    const issue = facts.error.issues[0];
    throw new FrontMatterError(`front matter field ${String(issue?.path[0] ?? '?')}: ${issue?.message ?? 'invalid'}`);
  }
  return { facts: facts.data, text };
}
