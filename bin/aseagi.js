#!/usr/bin/env node
// Launcher for the `aseagi` command: runs the compiled CLI (built by `npm install` through the `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/run.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('aseagi: the program is not built yet. Run `npm install` (it builds) or `npm run build`.');
  process.exit(1);
}
await import(entry.href);
