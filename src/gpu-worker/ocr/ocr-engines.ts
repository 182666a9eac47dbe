/**
 * Which OCR engines this worker can run, and the one `auto` means. Engines are created on first use and kept
 * warm. A new engine (e.g. a VLM) slots in as one more {@link OcrEngineProvider}.
 */
import type { OcrEngineName } from '../../protocol/worker-protocol.js';
import type { Logger } from '../../logger.js';
import { splitLangs, type OcrEngine } from './ocr-engine.js';
import { createNativeTesseractEngine, type NativeTesseract } from './tesseract-native-engine.js';
import { createTesseractJsEngine, missingTesseractJsLangs } from './tesseract-js-engine.js';

/** Describes one engine this worker could run. */
export interface OcrEngineProvider {
  readonly name: Exclude<OcrEngineName, 'auto' | 'none'>;
  /** Why it cannot recognise these languages here, or null when it can. */
  unavailableReason(langs: string): string | null;
  create(): OcrEngine;
}

export type WorkerEngineChoice = Exclude<OcrEngineName, 'vlm'>;

export interface OcrEngines {
  /** Engine names a batch may ask for on this worker (`none` included), the default first. */
  readonly available: readonly string[];
  /** Why `name` cannot serve `langs` here, or null. */
  unavailableReason(name: OcrEngineName, langs: string): string | null;
  /** The engine for a batch's choice; null for `none`. Throws when unavailable (check first). */
  get(name: OcrEngineName): OcrEngine | null;
  close(): Promise<void>;
}

export interface EngineSettings {
  choice: WorkerEngineChoice;
  langs: string;
  poolSize: number;
  native: NativeTesseract | null;
  logger: Logger;
}

/** The providers this machine has; tesseract-js is bundled, the native binary only when found on PATH. */
export function defaultProviders(settings: EngineSettings): OcrEngineProvider[] {
  const { native, poolSize, logger } = settings;
  const providers: OcrEngineProvider[] = [];
  if (native) {
    providers.push({
      name: 'tesseract',
      unavailableReason: (langs) => {
        const missing = splitLangs(langs).filter((lang) => !native.languages.includes(lang));
        return missing.length ? `native tesseract has no model for ${missing.join(', ')}` : null;
      },
      create: () => createNativeTesseractEngine({ tesseract: native, poolSize, logger }),
    });
  }
  providers.push({
    name: 'tesseract-js',
    unavailableReason: (langs) => {
      const notLoaded = splitLangs(langs).filter((lang) => !splitLangs(settings.langs).includes(lang));
      if (notLoaded.length) return `tesseract-js loads only ${settings.langs} (OCR_LANGS), not ${notLoaded.join(', ')}`;
      const missing = missingTesseractJsLangs(langs);
      return missing.length ? `no offline tesseract.js model for ${missing.join(', ')}` : null;
    },
    create: () => createTesseractJsEngine({ langs: settings.langs, poolSize, logger }),
  });
  return providers;
}

/** Resolves `auto`: the native binary when it can serve the languages, else tesseract.js. */
function resolveDefault(choice: WorkerEngineChoice, providers: readonly OcrEngineProvider[], langs: string): string {
  if (choice !== 'auto') return choice;
  const usable = providers.find((provider) => provider.unavailableReason(langs) === null);
  return usable?.name ?? 'none';
}

export function createOcrEngines(settings: EngineSettings, providers = defaultProviders(settings)): OcrEngines {
  const defaultName = resolveDefault(settings.choice, providers, settings.langs);
  const byName = new Map(providers.map((provider) => [provider.name as string, provider]));
  const started = new Map<string, OcrEngine>();
  const concrete = (name: OcrEngineName): string => (name === 'auto' ? defaultName : name);

  const unavailableReason = (name: OcrEngineName, langs: string): string | null => {
    const resolved = concrete(name);
    if (resolved === 'none') return null;
    const provider = byName.get(resolved);
    return provider ? provider.unavailableReason(langs) : `OCR engine '${resolved}' is not available on this worker`;
  };
  const usable = providers.filter((provider) => provider.unavailableReason(settings.langs) === null).map((p) => p.name);
  const available = [defaultName, ...usable, 'none'].filter((name, index, all) => all.indexOf(name) === index);

  return {
    available,
    unavailableReason,
    get(name) {
      const resolved = concrete(name);
      if (resolved === 'none') return null;
      const provider = byName.get(resolved);
      if (!provider) throw new Error(`OCR engine '${resolved}' is not available on this worker`);
      let engine = started.get(resolved);
      if (!engine) {
        engine = provider.create();
        started.set(resolved, engine);
      }
      return engine;
    },
    async close() {
      const engines = [...started.values()];
      started.clear();
      await Promise.allSettled(engines.map((engine) => engine.close()));
    },
  };
}
