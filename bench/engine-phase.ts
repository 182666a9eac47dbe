/** One phase of the engine benchmark, in its own process so its peak memory is its own. Prints one JSON line. */
import { runEnginePhase } from './engine.js';

const phase = process.argv[2] ?? '';
const result = await runEnginePhase(phase);
process.stdout.write(`${JSON.stringify({ ...result, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
