/** No analysis: the default. Documents are only turned into text. */
import type { Analyzer } from '../engine/ports.js';

export function createNoAnalyzer(): Analyzer {
  return {
    kind: 'none',
    enabled: false,
    estimateCostPerDocument: () => 0,
    analyze: () => Promise.resolve([]),
  };
}
