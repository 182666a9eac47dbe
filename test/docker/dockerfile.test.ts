/**
 * Docker cannot run on these machines, so the Dockerfile is read and checked here: both targets, their bases,
 * what they copy (every source exists and is in the build context), the orchestrator's unprivileged user and
 * health check, the worker's tesseract, pinned vLLM and executable entrypoint script (which must parse).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  copyPaths,
  expandArgs,
  instructionsOf,
  isIgnored,
  parseDockerfile,
  stageNamed,
  type Stage,
} from './dockerfile-parser.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRYPOINT = 'docker/gpu-worker-entrypoint.sh';
const dockerfile = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const dockerignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8');
const HAS_BASH = spawnSync('bash', ['--version']).status === 0;

function stage(name: string): Stage {
  const found = stageNamed(dockerfile, name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
}

const lastUser = (target: Stage): string | undefined => instructionsOf(target, 'USER').at(-1)?.args;
const runs = (target: Stage): string => instructionsOf(target, 'RUN').map((run) => run.args).join('\n');

describe('the Dockerfile parser', () => {
  it('joins continued lines, drops comments, reads flags, exec form and stages', () => {
    const parsed = parseDockerfile([
      '# syntax=docker/dockerfile:1.7',
      'ARG BASE=node:24-slim',
      'FROM ${BASE} AS build',
      'RUN apt-get update \\',
      '  # a comment inside',
      ' && apt-get install -y x',
      'COPY --from=build --chmod=755 a.sh b.sh /app/',
      'ENTRYPOINT ["/bin/tini", "--", "run"]',
      'FROM build',
    ].join('\n'));
    expect(parsed.globalArgs).toEqual({ BASE: 'node:24-slim' });
    expect(parsed.stages.map((s) => [s.base, s.name])).toEqual([['node:24-slim', 'build'], ['build', null]]);
    const [run, copy, entrypoint] = parsed.stages[0]?.instructions ?? [];
    expect(run?.args).toBe('apt-get update && apt-get install -y x');
    expect(copy?.flags).toEqual({ from: 'build', chmod: '755' });
    expect(copyPaths(copy!)).toEqual({ sources: ['a.sh', 'b.sh'], destination: '/app/' });
    expect(entrypoint?.exec).toEqual(['/bin/tini', '--', 'run']);
    expect(expandArgs('$A-${B}-$C', { A: '1', B: '2' })).toBe('1-2-$C');
  });

  it.each([
    ['src/main.ts', false],
    ['docker/gpu-worker-entrypoint.sh', false],
    ['.env', true],
    ['data/aseagi.db', true],
    ['node_modules/pino/package.json', true],
    ['.git/config', true],
  ])('.dockerignore: %s ignored → %s', (file, ignored) => {
    expect(isIgnored(dockerignore, file)).toBe(ignored);
  });
});

describe('Dockerfile', () => {
  it('has the orchestrator and gpu-worker targets, built in several stages', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(expect.arrayContaining(['build', 'orchestrator', 'gpu-worker']));
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(3);
  });

  it('copies only files that exist and are in the build context', () => {
    const names = dockerfile.stages.map((s) => s.name);
    for (const target of dockerfile.stages) {
      for (const copy of instructionsOf(target, 'COPY')) {
        const { sources } = copyPaths(copy);
        expect(sources.length, `line ${copy.line}`).toBeGreaterThan(0);
        const from = copy.flags.from;
        if (from) {
          // Another stage (built before this one) or an image.
          if (!from.includes(':')) expect(names.slice(0, dockerfile.stages.indexOf(target))).toContain(from);
          continue;
        }
        for (const source of sources) {
          expect(existsSync(path.join(ROOT, source)), `line ${copy.line}: ${source} exists`).toBe(true);
          expect(isIgnored(dockerignore, source), `line ${copy.line}: ${source} is in the build context`).toBe(false);
        }
      }
    }
  });

  it('runs the orchestrator on Node 24 as an unprivileged user, with a health check and a data volume', () => {
    const orchestrator = stage('orchestrator');
    expect(orchestrator.base).toMatch(/^node:24(\.\d+)*-slim$/);
    expect(lastUser(orchestrator)).toBeDefined();
    expect(['root', '0']).not.toContain(lastUser(orchestrator)?.split(':')[0]);
    const [healthcheck] = instructionsOf(orchestrator, 'HEALTHCHECK');
    expect(healthcheck?.args).toMatch(/^CMD /);
    expect(healthcheck?.args).toContain('/health');
    expect(instructionsOf(orchestrator, 'CMD')[0]?.exec).toEqual(['npm', 'start']);
    expect(instructionsOf(orchestrator, 'VOLUME')[0]?.args).toContain('/data');
  });

  it('builds the worker on a CUDA runtime with Node 24, tesseract and a pinned vLLM', () => {
    const worker = stage('gpu-worker');
    expect(worker.base).toMatch(/^nvidia\/cuda:[\d.]+-runtime-/);
    expect(runs(worker)).toMatch(/apt-get install[^\n]*\btesseract-ocr\b[^\n]*\btesseract-ocr-eng\b/);
    const node = instructionsOf(worker, 'COPY').find((copy) => copyPaths(copy).sources.includes('/usr/local/bin/node'));
    expect(stageNamed(dockerfile, node?.flags.from ?? '')?.base).toMatch(/^node:24/);
    const vllm = stage('vllm');
    expect(expandArgs(runs(vllm), { ...dockerfile.globalArgs })).toMatch(/pip install [^\n]*"vllm==\d+\.\d+\.\d+"/);
    expect(instructionsOf(worker, 'COPY').some((copy) => copy.flags.from === 'vllm')).toBe(true);
    expect(instructionsOf(worker, 'HEALTHCHECK')[0]?.args).toContain('/livez');
  });

  it('starts the worker through the entrypoint script, which is copied, executable and valid bash', () => {
    const worker = stage('gpu-worker');
    const entrypoint = instructionsOf(worker, 'ENTRYPOINT')[0]?.exec ?? [];
    const script = entrypoint.find((part) => part.endsWith('gpu-worker-entrypoint.sh'));
    expect(script).toBeDefined();
    const copy = instructionsOf(worker, 'COPY').find((c) => copyPaths(c).sources.includes(ENTRYPOINT));
    const workdir = instructionsOf(worker, 'WORKDIR').at(-1)?.args ?? '/';
    expect(path.posix.resolve(workdir, copyPaths(copy!).destination)).toBe(script);
    expect(statSync(path.join(ROOT, ENTRYPOINT)).mode & 0o111).not.toBe(0);
    if (HAS_BASH) expect(spawnSync('bash', ['-n', path.join(ROOT, ENTRYPOINT)]).status).toBe(0);
  });
});
