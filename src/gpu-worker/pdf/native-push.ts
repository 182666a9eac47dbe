/**
 * `Array.prototype.push` as the JavaScript engine provides it, captured before pdf.js loads. On Node 20 the
 * legacy pdf.js build (the only one that runs in Node) installs core-js's spec-compliance replacement of `push`,
 * which is ~2.5× slower and costs text extraction about a fifth of its speed; the difference it fixes (arrays
 * longer than 2³² elements) never arises here. Node 24 keeps the native one.
 */
const NATIVE_PUSH = Array.prototype.push;

/** Puts the engine's own `push` back if something replaced it. Isolate threads only; idempotent. */
export function restoreNativePush(): void {
  if (Array.prototype.push === NATIVE_PUSH) return;
  Object.defineProperty(Array.prototype, 'push', { value: NATIVE_PUSH, writable: true, configurable: true, enumerable: false });
}
