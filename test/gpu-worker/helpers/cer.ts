/** Character error rate: edit distance over the reference length, with runs of whitespace counted as one space. */

function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Levenshtein distance, two rows at a time (texts here are a few thousand characters). */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** 0 = identical; 1 = as many edits as the reference has characters. */
export function cer(hypothesis: string, reference: string): number {
  const ref = normalize(reference);
  if (ref.length === 0) return normalize(hypothesis).length === 0 ? 0 : 1;
  return levenshtein(normalize(hypothesis), ref) / ref.length;
}
