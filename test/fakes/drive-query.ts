/**
 * The fake Drive's parser for the `q` query language, the subset Drive documents for files.list:
 * `'<id>' in parents`, `trashed = true|false`, `mimeType = / != '<type>'`, `name = / != / contains '<text>'`,
 * `and`, `or`, `not`, parentheses. Anything else is an "Invalid Value" (400), as Drive answers.
 */

export interface QueryFile {
  name: string;
  mimeType: string;
  parents: string[];
  trashed: boolean;
}

export type Predicate = (file: QueryFile) => boolean;

export interface ParsedQuery {
  test: Predicate;
  /** When the query is `(… in parents or …) and …` at the top: those parents (lets the fake look children up). */
  parents: string[] | null;
}

export class InvalidQueryError extends Error {}

type Token = { kind: 'string'; value: string } | { kind: 'word'; value: string } | { kind: 'op'; value: string };

function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === "'") {
      let value = '';
      i += 1;
      while (i < q.length && q[i] !== "'") {
        if (q[i] === '\\') i += 1;
        value += q[i] ?? '';
        i += 1;
      }
      if (q[i] !== "'") throw new InvalidQueryError('unterminated string');
      i += 1;
      tokens.push({ kind: 'string', value });
    } else if (c === '(' || c === ')' || c === '=') {
      tokens.push({ kind: 'op', value: c });
      i += 1;
    } else if (c === '!' && q[i + 1] === '=') {
      tokens.push({ kind: 'op', value: '!=' });
      i += 2;
    } else {
      const match = /^[A-Za-z]+/.exec(q.slice(i));
      if (!match) throw new InvalidQueryError(`unexpected '${c}'`);
      tokens.push({ kind: 'word', value: match[0] });
      i += match[0].length;
    }
  }
  return tokens;
}

class Parser {
  private position = 0;
  readonly topLevelParents: string[][] = [];
  topLevelOr = false;

  constructor(private readonly tokens: Token[]) {}

  parse(): Predicate {
    const predicate = this.or(0);
    if (this.position < this.tokens.length) throw new InvalidQueryError('trailing input');
    return predicate;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private take(kind?: Token['kind'], value?: string): Token {
    const token = this.tokens[this.position];
    if (!token || (kind && token.kind !== kind) || (value && token.value.toLowerCase() !== value)) {
      throw new InvalidQueryError(`expected ${value ?? kind ?? 'more'}`);
    }
    this.position += 1;
    return token;
  }

  private isWord(value: string): boolean {
    const token = this.peek();
    return token?.kind === 'word' && token.value.toLowerCase() === value;
  }

  private or(depth: number): Predicate {
    const parts = [this.and(depth)];
    while (this.isWord('or')) {
      this.take();
      parts.push(this.and(depth));
    }
    if (depth === 0 && parts.length > 1) this.topLevelOr = true;
    return parts.length === 1 ? parts[0]! : (file) => parts.some((p) => p(file));
  }

  private and(depth: number): Predicate {
    const parts = [this.factor(depth)];
    while (this.isWord('and')) {
      this.take();
      parts.push(this.factor(depth));
    }
    return parts.length === 1 ? parts[0]! : (file) => parts.every((p) => p(file));
  }

  private factor(depth: number): Predicate {
    if (this.isWord('not')) {
      this.take();
      const inner = this.factor(depth + 1);
      return (file) => !inner(file);
    }
    const token = this.peek();
    if (token?.kind === 'op' && token.value === '(') {
      this.take();
      const start = this.position;
      const inner = this.or(depth + 1);
      this.noteParentsGroup(start, depth);
      this.take('op', ')');
      return inner;
    }
    return this.comparison();
  }

  /** Records `( 'a' in parents or 'b' in parents … )` directly under the top-level `and`. */
  private noteParentsGroup(start: number, depth: number): void {
    if (depth !== 0) return;
    const slice = this.tokens.slice(start, this.position);
    const ids: string[] = [];
    for (let i = 0; i < slice.length; i += 4) {
      const [id, inWord, parentsWord, orWord] = [slice[i], slice[i + 1], slice[i + 2], slice[i + 3]];
      if (id?.kind !== 'string' || inWord?.value.toLowerCase() !== 'in' || parentsWord?.value.toLowerCase() !== 'parents') return;
      if (orWord && orWord.value.toLowerCase() !== 'or') return;
      ids.push(id.value);
    }
    this.topLevelParents.push(ids);
  }

  private comparison(): Predicate {
    const first = this.take();
    if (first.kind === 'string') {
      this.take('word', 'in');
      this.take('word', 'parents');
      return (file) => file.parents.includes(first.value);
    }
    if (first.kind !== 'word') throw new InvalidQueryError('expected a field');
    const field = first.value;
    const op = this.take();
    if (field === 'trashed') {
      if (op.value !== '=') throw new InvalidQueryError('trashed only supports =');
      const value = this.take('word').value.toLowerCase();
      if (value !== 'true' && value !== 'false') throw new InvalidQueryError('trashed is true or false');
      return (file) => file.trashed === (value === 'true');
    }
    if (field === 'mimeType' || field === 'name') {
      const value = this.take('string').value;
      const get = (file: QueryFile): string => (field === 'name' ? file.name : file.mimeType);
      if (op.value === '=') return (file) => get(file) === value;
      if (op.value === '!=') return (file) => get(file) !== value;
      if (op.kind === 'word' && op.value === 'contains' && field === 'name') return (file) => file.name.includes(value);
    }
    throw new InvalidQueryError(`unsupported term ${field} ${op.value}`);
  }
}

export function parseQuery(q: string | null): ParsedQuery {
  if (!q || !q.trim()) return { test: () => true, parents: null };
  const parser = new Parser(tokenize(q));
  const test = parser.parse();
  // Only a query that is an `and` of clauses, one of them a pure parents group, can be answered from children lists.
  const narrowable = !parser.topLevelOr && parser.topLevelParents.length === 1;
  return { test, parents: narrowable ? parser.topLevelParents[0]! : null };
}
