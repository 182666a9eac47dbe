/** The shared test corpus (../shared/corpus beside the repository) and its ground truth. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** ../shared beside the checkout; a clone elsewhere (CI) finds it through SHARED_DIR or its usual place. */
function findCorpus(): string {
  const candidates = [process.env.SHARED_DIR, path.resolve(REPO_ROOT, '../shared'), '/work/shared'];
  const found = candidates.find((dir) => dir && existsSync(path.join(dir, 'corpus', 'README.md')));
  if (!found) throw new Error(`test corpus not found in ${candidates.filter(Boolean).join(', ')}: set SHARED_DIR`);
  return path.join(found, 'corpus');
}

export const CORPUS_DIR = findCorpus();

export function corpusPath(file: string): string {
  return path.join(CORPUS_DIR, file);
}

export function groundTruth(name: 'gt1' | 'gt2' | 'gt3'): string {
  return readFileSync(path.join(CORPUS_DIR, 'groundtruth', `${name}.txt`), 'utf8');
}

/** File names listed in the corpus README's table (first column; a cell may name several files). */
export function filesInCorpusReadme(): string[] {
  const readme = readFileSync(path.join(CORPUS_DIR, 'README.md'), 'utf8');
  const firstCells = readme
    .split('\n')
    .filter((line) => line.startsWith('|') && !line.startsWith('|---'))
    .map((line) => line.split('|')[1] ?? '');
  const names = firstCells.flatMap((cell) => cell.match(/[\w./-]+\.(?:pdf|png|jpg|tif)/g) ?? []);
  // "images/clean_p1.png, noisy.jpg" names later images without their folder.
  let folder = '';
  return names.map((name) => {
    if (name.includes('/')) {
      folder = path.dirname(name) + '/';
      return name;
    }
    return /\.(png|jpg|tif)$/.test(name) ? folder + name : name;
  });
}
