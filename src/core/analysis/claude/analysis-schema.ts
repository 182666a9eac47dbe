/**
 * The structured analysis Claude returns, modelled on the ASEAGI scoring scheme. Two forms of one contract: the
 * JSON schema sent as `output_config.format` (in the subset the API accepts: every object closed with
 * `additionalProperties: false`, no minimum/maxLength/maxItems/oneOf — ranges are stated in descriptions), and the
 * zod schema that checks what comes back, ranges included.
 */
import { z } from 'zod';

export const DOCUMENT_TYPES = ['TEXT', 'TRNS', 'CPSR', 'MEDR', 'FORN', 'PLCR', 'ORDR', 'DECL', 'EXPA', 'MOTN', 'RESP', 'EVID', 'OTHER'] as const;
export const IMPORTANCE_LEVELS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'REFERENCE'] as const;

const score = (what: string) => ({ type: 'integer', description: `${what}; an integer from 0 to 999 (900+ critical, 800–899 high, 700–799 medium, 600–699 low, under 600 reference).` });
const percent = (what: string) => ({ type: 'integer', description: `${what}; an integer from 0 to 100.` });
const closedObject = (properties: Record<string, unknown>) => ({
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties),
  properties,
});
const list = (items: unknown, description: string) => ({ type: 'array', description, items });

export const ANALYSIS_JSON_SCHEMA = closedObject({
  document_type: { type: 'string', enum: [...DOCUMENT_TYPES], description: 'The document category code.' },
  document_date: { type: 'string', description: 'The date the document bears, as YYYY-MM-DD; an empty string when it has none.' },
  document_title: { type: 'string', description: 'A short title a lawyer would recognise.' },
  executive_summary: { type: 'string', description: 'Three to six sentences: what the document is, who says what, and why it matters.' },
  micro_number: score('Importance of the specific facts in this document'),
  macro_number: score('Importance to the overall case narrative'),
  legal_number: score('Legal weight: admissibility, authority, procedural effect'),
  category_number: score('How central the document category is to the case'),
  relevancy_number: score('Overall relevancy'),
  importance: { type: 'string', enum: [...IMPORTANCE_LEVELS], description: 'Must agree with relevancy_number.' },
  key_quotes: list(closedObject({ quote: { type: 'string' }, page: { type: 'integer', description: 'Page number, 0 when unknown.' }, significance: { type: 'string' } }), 'Verbatim quotes that matter, at most ten.'),
  smoking_guns: list(closedObject({ finding: { type: 'string' }, quote: { type: 'string' }, page: { type: 'integer', description: 'Page number, 0 when unknown.' } }), 'Decisive findings; usually none.'),
  parties: list(closedObject({ name: { type: 'string' }, role: { type: 'string' } }), 'People and organisations named, with their role.'),
  keywords: list({ type: 'string' }, 'Search keywords, at most fifteen.'),
  fraud_indicators: list(closedObject({ indicator: { type: 'string' }, evidence: { type: 'string' } }), 'Signs of fraud or fabrication; usually none.'),
  perjury_indicators: list(closedObject({ statement: { type: 'string' }, contradiction: { type: 'string' } }), 'Sworn statements contradicted by this or other evidence.'),
  w388_relevance: percent('Relevance to a WIC §388 petition (changed circumstances / best interest of the child)'),
  ccp473_relevance: percent('Relevance to a CCP §473 motion (relief from order for mistake, fraud, or void judgment)'),
  criminal_relevance: percent('Relevance to possible criminal conduct'),
});

const score999 = z.number().int().min(0).max(999);
const score100 = z.number().int().min(0).max(100);
const page = z.number().int().min(0);

export const analysisSchema = z.object({
  document_type: z.enum(DOCUMENT_TYPES),
  document_date: z
    .string()
    .transform((v) => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null)),
  document_title: z.string(),
  executive_summary: z.string(),
  micro_number: score999,
  macro_number: score999,
  legal_number: score999,
  category_number: score999,
  relevancy_number: score999,
  importance: z.enum(IMPORTANCE_LEVELS),
  key_quotes: z.array(z.object({ quote: z.string(), page, significance: z.string() })),
  smoking_guns: z.array(z.object({ finding: z.string(), quote: z.string(), page })),
  parties: z.array(z.object({ name: z.string(), role: z.string() })),
  keywords: z.array(z.string()),
  fraud_indicators: z.array(z.object({ indicator: z.string(), evidence: z.string() })),
  perjury_indicators: z.array(z.object({ statement: z.string(), contradiction: z.string() })),
  w388_relevance: score100,
  ccp473_relevance: score100,
  criminal_relevance: score100,
});

export type DocumentAnalysis = z.infer<typeof analysisSchema>;
