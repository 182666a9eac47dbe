/**
 * Starts a worker thread from a module next to the caller, both when running compiled JavaScript (dist) and
 * TypeScript sources (tsx in production-like tests, vitest). Node 20 does not pass `--import tsx` loaders on to
 * worker threads, so for a `.ts` module a tiny bootstrap registers tsx inside the thread first.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

function tsxLoaderUrl(): string {
  const require = createRequire(import.meta.url);
  return pathToFileURL(require.resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
}

/** `moduleUrl` is a file URL of a sibling module, written with its `.js` extension. */
export function spawnThread(moduleUrl: URL, resourceLimits: ResourceLimits): Worker {
  // stdout is piped (and drained to stderr by the caller) so a library printing from the thread can never mix
  // into the one ready line the worker prints on stdout.
  const options = { resourceLimits, stdout: true, stderr: false } as const;
  if (!import.meta.url.endsWith('.ts')) return new Worker(moduleUrl, options);
  const source = new URL(moduleUrl.href.replace(/\.js$/, '.ts'));
  const bootstrap = `import(${JSON.stringify(tsxLoaderUrl())})
    .then((tsx) => { tsx.register(); return import(${JSON.stringify(source.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
