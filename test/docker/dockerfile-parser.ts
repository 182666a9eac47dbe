/**
 * A small Dockerfile reader for tests (Docker itself cannot run on these machines): logical lines (comments,
 * parser directives and `\` continuations handled), instructions with their flags, stages by FROM … AS, build
 * arguments resolved from their defaults, COPY sources and destinations, and `.dockerignore` matching.
 */

export interface Instruction {
  keyword: string;
  /** `--from=build` → { from: 'build' }. */
  flags: Record<string, string>;
  /** The rest of the line after the flags, continuations joined with a space. */
  args: string;
  /** JSON (exec) form parsed, when the arguments are a JSON array. */
  exec: string[] | null;
  line: number;
}

export interface Stage {
  base: string;
  name: string | null;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

function logicalLines(text: string): Array<{ text: string; line: number }> {
  const lines: Array<{ text: string; line: number }> = [];
  let current = '';
  let start = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    if (current === '' && (trimmed === '' || trimmed.startsWith('#'))) return;
    // A comment inside a continued instruction is dropped, as Docker does.
    if (current !== '' && trimmed.startsWith('#')) return;
    if (current === '') start = index + 1;
    if (trimmed.endsWith('\\')) {
      current += `${trimmed.slice(0, -1)} `;
      return;
    }
    current += trimmed;
    lines.push({ text: current.replace(/\s+/g, ' ').trim(), line: start });
    current = '';
  });
  if (current.trim() !== '') lines.push({ text: current.trim(), line: start });
  return lines;
}

function parseExec(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : null;
  } catch {
    return null;
  }
}

function parseInstruction(text: string, line: number): Instruction {
  const [keyword = '', ...rest] = text.split(' ');
  let args = rest.join(' ');
  const flags: Record<string, string> = {};
  for (;;) {
    const flag = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(args);
    if (!flag) break;
    flags[flag[1] as string] = flag[2] ?? 'true';
    args = args.slice(flag[0].length);
  }
  return { keyword: keyword.toUpperCase(), flags, args, exec: parseExec(args), line };
}

/** Replaces `${NAME}` and `$NAME` with the values known; unknown names are left as they are. */
export function expandArgs(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    return values[name] ?? whole;
  });
}

function argDefault(args: string): [string, string] {
  const [name = '', value = ''] = args.split('=');
  return [name.trim(), value.trim()];
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const { text: line, line: number } of logicalLines(text)) {
    const instruction = parseInstruction(line, number);
    if (instruction.keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`line ${number}: cannot read FROM ${instruction.args}`);
      stages.push({ base: expandArgs(match[1] as string, globalArgs), name: match[2] ?? null, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      if (instruction.keyword !== 'ARG') throw new Error(`line ${number}: ${instruction.keyword} before the first FROM`);
      const [name, value] = argDefault(instruction.args);
      globalArgs[name] = value;
      continue;
    }
    stage.instructions.push(instruction);
  }
  return { globalArgs, stages };
}

export function stageNamed(file: Dockerfile, name: string): Stage | undefined {
  return file.stages.find((stage) => stage.name === name);
}

export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

/** A COPY's sources and destination, in either form. */
export function copyPaths(instruction: Instruction): { sources: string[]; destination: string } {
  const parts = instruction.exec ?? instruction.args.split(' ');
  return { sources: parts.slice(0, -1), destination: parts.at(-1) ?? '' };
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] as string;
    if (char === '*' && pattern[index + 1] === '*') {
      source += '.*';
      index += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * Whether `.dockerignore` keeps `path` out of the build context: the last pattern matching the path or one of
 * its parent folders decides; `!` patterns bring paths back.
 */
export function isIgnored(dockerignore: string, path: string): boolean {
  const rules = dockerignore
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => ({ negate: line.startsWith('!'), pattern: globToRegExp(line.replace(/^!/, '').replace(/^\/+|\/+$/g, '')) }));
  const segments = path.replace(/^\.\/|\/+$/g, '').split('/');
  const candidates = segments.map((_, index) => segments.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.pattern.test(candidate))) ignored = !rule.negate;
  }
  return ignored;
}
