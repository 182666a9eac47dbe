/**
 * Which OCR engines this worker can run, and the one `auto` means. Engines are created on first use and kept
 * warm. Each engine is one {@link OcrEngineProvider}; the tesseract ones are wrapped in adaptive segmentation,
 * and the VLM falls back to the best tesseract engine for pages it cannot read.
 */
import type { OcrEngineName } from '../../protocol/worker-protocol.js';
import type { Logger } from '../../logger.js';
import type { VlmSettings } from '../config.js';
import { withAdaptiveLayout } from './adaptive-layout.js';
import { splitLangs, type OcrEngine } from './ocr-engine.js';
import { createNativeTesseractEngine, type NativeTesseract } from './tesseract-native-engine.js';
import { createTesseractJsEngine, missingTesseractJsLangs } from './tesseract-js-engine.js';
import { createVlmEngine, type VlmEngineOptions } from './vlm/vlm-engine.js';

type ConcreteEngineName = Exclude<OcrEngineName, 'auto' | 'none'>;

/** Describes one engine this worker could run. */
export interface OcrEngineProvider {
  readonly name: ConcreteEngineName;
  /** Why it cannot recognise these languages here, or null when it can. */
  unavailableReason(langs: string): string | null;
  create(): OcrEngine;
}

export type WorkerEngineChoice = OcrEngineName;

export interface OcrEngines {
  /** Engine names a batch may ask for on this worker (`none` included), the default first. */
  readonly available: readonly string[];
  /** The engine `auto` means here (`none` when there is none). */
  readonly defaultName: string;
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
  /** The VLM server, when this worker has one (OCR_VLM_URL). */
  vlm?: VlmSettings | null;
  /** Test seams for the VLM engine (fast retries, an injected fetch). */
  vlmOptions?: Partial<Omit<VlmEngineOptions, 'settings' | 'fallback' | 'logger'>>;
  logger: Logger;
}

/** Looks an engine up by name in the registry being built (the VLM's fallback). */
type EngineLookup = () => OcrEngine | null;

function nativeProvider(native: NativeTesseract, settings: EngineSettings): OcrEngineProvider {
  return {
    name: 'tesseract',
    unavailableReason: (langs) => {
      const missing = splitLangs(langs).filter((lang) => !native.languages.includes(lang));
      return missing.length ? `native tesseract has no model for ${missing.join(', ')}` : null;
    },
    create: () => withAdaptiveLayout(createNativeTesseractEngine({ tesseract: native, poolSize: settings.poolSize, logger: settings.logger })),
  };
}

function tesseractJsProvider(settings: EngineSettings): OcrEngineProvider {
  return {
    name: 'tesseract-js',
    unavailableReason: (langs) => {
      const notLoaded = splitLangs(langs).filter((lang) => !splitLangs(settings.langs).includes(lang));
      if (notLoaded.length) return `tesseract-js loads only ${settings.langs} (OCR_LANGS), not ${notLoaded.join(', ')}`;
      const missing = missingTesseractJsLangs(langs);
      return missing.length ? `no offline tesseract.js model for ${missing.join(', ')}` : null;
    },
    create: () => withAdaptiveLayout(createTesseractJsEngine({ langs: settings.langs, poolSize: settings.poolSize, logger: settings.logger })),
  };
}

function vlmProvider(vlm: VlmSettings, settings: EngineSettings, fallback: EngineLookup): OcrEngineProvider {
  return {
    name: 'vlm',
    // The model reads any script; pages it gives up on go to tesseract, whose languages are checked there.
    unavailableReason: () => null,
    create: () => createVlmEngine({ ...settings.vlmOptions, settings: vlm, fallback, logger: settings.logger }),
  };
}

/** The providers this machine has: the VLM when configured, the native binary when found, tesseract.js always. */
export function defaultProviders(settings: EngineSettings, tesseractFallback: EngineLookup = () => null): OcrEngineProvider[] {
  const providers: OcrEngineProvider[] = [];
  if (settings.vlm) providers.push(vlmProvider(settings.vlm, settings, tesseractFallback));
  if (settings.native) providers.push(nativeProvider(settings.native, settings));
  providers.push(tesseractJsProvider(settings));
  return providers;
}

/** Resolves `auto`: the first provider (VLM, native, tesseract.js) that can serve the languages. */
function resolveDefault(choice: WorkerEngineChoice, providers: readonly OcrEngineProvider[], langs: string): string {
  if (choice !== 'auto') return choice;
  const usable = providers.find((provider) => provider.unavailableReason(langs) === null);
  return usable?.name ?? 'none';
}

export function createOcrEngines(settings: EngineSettings, providers?: OcrEngineProvider[]): OcrEngines {
  const started = new Map<string, OcrEngine>();
  // The VLM's fallback: the first tesseract engine that reads the configured languages, started when needed.
  const tesseractFallback: EngineLookup = () => {
    const provider = all.find((p) => p.name !== 'vlm' && p.unavailableReason(settings.langs) === null);
    return provider ? engineFor(provider) : null;
  };
  const all = providers ?? defaultProviders(settings, tesseractFallback);
  const defaultName = resolveDefault(settings.choice, all, settings.langs);
  const byName = new Map(all.map((provider) => [provider.name as string, provider]));
  const concrete = (name: OcrEngineName): string => (name === 'auto' ? defaultName : name);

  function engineFor(provider: OcrEngineProvider): OcrEngine {
    let engine = started.get(provider.name);
    if (!engine) {
      engine = provider.create();
      started.set(provider.name, engine);
    }
    return engine;
  }

  const unavailableReason = (name: OcrEngineName, langs: string): string | null => {
    const resolved = concrete(name);
    if (resolved === 'none') return null;
    const provider = byName.get(resolved);
    return provider ? provider.unavailableReason(langs) : `OCR engine '${resolved}' is not available on this worker`;
  };
  const usable = all.filter((provider) => provider.unavailableReason(settings.langs) === null).map((p) => p.name);
  const available = [defaultName, ...usable, 'none'].filter((name, index, list) => list.indexOf(name) === index);

  return {
    available,
    defaultName,
    unavailableReason,
    get(name) {
      const resolved = concrete(name);
      if (resolved === 'none') return null;
      const provider = byName.get(resolved);
      if (!provider) throw new Error(`OCR engine '${resolved}' is not available on this worker`);
      return engineFor(provider);
    },
    async close() {
      const engines = [...started.values()];
      started.clear();
      await Promise.allSettled(engines.map((engine) => engine.close()));
    },
  };
}
