/**
 * `/openapi.json` is a valid OpenAPI 3 document, covers every route the router serves (and nothing else), and
 * describes what the server really answers; `/docs` renders it without any outside resource.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiFixture } from './helpers/api-fixture.js';
import type { ApiFixture } from './helpers/api-fixture.js';
import { resolvePointer, validateOpenApi } from './helpers/openapi-validator.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const TOKEN = 'openapi-token-0123456789';

/** The seed's endpoints, plus the two the issue adds: all must be served and documented. */
const REQUIRED = [
  'GET /health',
  'POST /batch/start',
  'GET /batch/status',
  'POST /batch/stop',
  'GET /batch/estimate',
  'GET /vastai/balance',
  'GET /vastai/instances',
  'GET /drive/documents',
  'GET /checkpoints',
  'POST /batch/resume/{checkpoint}',
  'GET /documents/search',
  'GET /documents/failed',
  'GET /openapi.json',
  'GET /docs',
];

let fixture: ApiFixture;
let doc: Json;

beforeAll(async () => {
  fixture = await startApiFixture({ token: TOKEN });
  const answer = await fixture.request('GET', '/openapi.json');
  expect(answer.status).toBe(200);
  doc = answer.json;
});

afterAll(async () => {
  await fixture.close();
});

function operations(document: Json): string[] {
  return Object.entries(document.paths as Json).flatMap(([path, item]) => Object.keys(item as Json).map((m) => `${m.toUpperCase()} ${path}`));
}

describe('/openapi.json', () => {
  it('is a structurally valid OpenAPI 3.1 document', () => {
    expect(validateOpenApi(doc)).toEqual([]);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('the validator catches what it claims to', () => {
    const broken = structuredClone(doc);
    broken.paths['/batch/resume/{checkpoint}'].post.parameters = [];
    broken.paths['/health'].get.responses = {};
    broken.paths['/batch/status'].get.responses['200'].content['application/json'].schema = { $ref: '#/components/schemas/Nope' };
    broken.paths['/checkpoints'].get.operationId = 'health';
    const problems = validateOpenApi(broken);
    expect(problems).toEqual(
      expect.arrayContaining([
        'POST /batch/resume/{checkpoint}: path parameter {checkpoint} is not declared',
        'GET /health: needs at least one response',
        expect.stringContaining('$ref #/components/schemas/Nope does not resolve'),
        'GET /checkpoints: operationId "health" is not unique',
      ]),
    );
    expect(validateOpenApi({ openapi: '2.0', paths: {} })).toEqual(expect.arrayContaining([expect.stringContaining('openapi must be')]));
  });

  it('covers every route the router serves, and only those', () => {
    const served = fixture.api.routes.map((r) => `${r.method} ${r.path}`).sort();
    expect(operations(doc).sort()).toEqual(served);
    expect(served).toEqual(expect.arrayContaining(REQUIRED));
  });

  it('documents the token, the inputs and the errors of every operation', () => {
    for (const route of fixture.api.routes) {
      const operation = doc.paths[route.path][route.method.toLowerCase()];
      const where = `${route.method} ${route.path}`;
      expect(operation.operationId, where).toBe(route.operationId);
      expect(Object.keys(operation.responses), where).toContain('500');
      if (route.public) expect(operation.security, where).toEqual([]);
      else expect(Object.keys(operation.responses), where).toContain('401');
      if (route.query || route.body || route.params) expect(Object.keys(operation.responses), where).toContain('400');
      if (route.body) expect(operation.requestBody.content['application/json'].schema.$ref, where).toMatch(/^#\/components\/schemas\//);
    }
    const estimateParams = doc.paths['/batch/estimate'].get.parameters.map((p: Json) => p.name);
    expect(estimateParams).toEqual(expect.arrayContaining(['total_documents', 'batch_size', 'cost_per_hour']));
    const offersParams = doc.paths['/vastai/instances'].get.parameters.map((p: Json) => p.name);
    expect(offersParams).toEqual(expect.arrayContaining(['min_gpu_ram', 'max_cost_per_hour']));
  });

  it('uses the seed\'s field names in requests and responses', () => {
    const schemas = doc.components.schemas;
    expect(Object.keys(schemas.StartBatchRequest.properties)).toEqual(
      expect.arrayContaining(['folder_id', 'mime_types', 'max_documents', 'batch_size', 'max_cost_per_hour', 'max_total_cost', 'confirm']),
    );
    expect(schemas.StartBatchRequest.additionalProperties).toBe(false);
    expect(schemas.SessionView.required).toEqual(
      expect.arrayContaining(['session_id', 'status', 'total_documents', 'total_batches', 'completed_batches', 'failed_batches', 'progress_percentage', 'started_at', 'estimated_completion', 'total_cost', 'current_batch']),
    );
    expect(schemas.Estimate.required).toEqual(
      expect.arrayContaining(['total_documents', 'batch_size', 'total_batches', 'total_hours', 'cost_per_hour', 'total_cost', 'seconds_per_document', 'bounded_by', 'basis']),
    );
    expect(Object.keys(schemas.Offer.properties)).toEqual(expect.arrayContaining(['id', 'gpu_name', 'gpu_ram_gb', 'cpu_cores', 'ram_gb', 'cost_per_hour', 'disk_space_gb']));
  });

  it('describes what the server really answers', async () => {
    const cases: [string, string, number][] = [
      ['/health', 'get', 200],
      ['/batch/estimate?total_documents=70000&batch_size=100&cost_per_hour=0.5', 'get', 200],
      ['/checkpoints', 'get', 200],
      ['/documents/search?q=anything', 'get', 200],
      ['/batch/status', 'get', 404],
      ['/vastai/balance', 'get', 503],
    ];
    for (const [url, method, status] of cases) {
      const answer = await fixture.request(method.toUpperCase(), url);
      expect(answer.status, url).toBe(status);
      const path = url.split('?')[0]!;
      const schema = doc.paths[path][method].responses[String(status)].content['application/json'].schema;
      expect(conforms(doc, schema, answer.json), url).toEqual([]);
    }
  });
});

describe('/docs', () => {
  it('is a self-contained page that loads the document from this server only', async () => {
    const page = await fixture.request('GET', '/docs', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(page.text).not.toMatch(/@import|url\(\s*["']?https?:/i);
    expect(page.text).toContain("fetch('openapi.json'");
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    const script = /<script>([\s\S]*)<\/script>/.exec(page.text)![1]!;
    const style = /<style>([\s\S]*)<\/style>/.exec(page.text)![1]!;
    expect(csp).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });

  it('renders every operation of the document, and asks for the token when the document answers 401', async () => {
    const page = await fixture.request('GET', '/docs', { token: null });
    const script = /<script>([\s\S]*)<\/script>/.exec(page.text)![1]!;
    const rendered = await runDocsScript(script, [{ status: 200, body: doc }]);
    const summaries = rendered.main.findAll('summary').map((s) => s.text());
    expect(summaries).toHaveLength(fixture.api.routes.length);
    expect(summaries).toContain('POST/batch/resume/{checkpoint}Resume the session of a checkpoint (checkpoint_100.json, checkpoint_100) or a session id');
    expect(rendered.main.text()).toContain('curl -X POST -H "Authorization: Bearer $API_TOKEN" -H "Content-Type: application/json"');
    expect(rendered.main.text()).toContain('progress_percentage');

    const locked = await runDocsScript(script, [{ status: 401, body: {} }]);
    expect(locked.main.findAll('form')).toHaveLength(1);
    expect(locked.main.text()).toContain('API_TOKEN');
    expect(locked.requests[0]!.authorization).toBeUndefined();
  });
});

/** A minimal DOM: enough for the docs page's script, which builds everything with createElement/textContent. */
class FakeNode {
  children: FakeNode[] = [];
  className = '';
  id = '';
  type = '';
  placeholder = '';
  autocomplete = '';
  value = '';
  private ownText = '';
  constructor(readonly tag: string) {}
  set textContent(value: string) {
    this.children = [];
    this.ownText = value;
  }
  get textContent(): string {
    return this.text();
  }
  appendChild(child: FakeNode): FakeNode {
    this.children.push(child);
    return child;
  }
  addEventListener(): void {}
  focus(): void {}
  text(): string {
    return this.ownText + this.children.map((c) => c.text()).join('');
  }
  findAll(tag: string): FakeNode[] {
    return this.children.flatMap((c) => [...(c.tag === tag ? [c] : []), ...c.findAll(tag)]);
  }
}

async function runDocsScript(script: string, answers: { status: number; body: unknown }[]): Promise<{ main: FakeNode; requests: { authorization?: string }[] }> {
  const nodes: Record<string, FakeNode> = { main: new FakeNode('main'), title: new FakeNode('h1'), desc: new FakeNode('p') };
  const requests: { authorization?: string }[] = [];
  let settle: () => void = () => undefined;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const document = { getElementById: (id: string) => nodes[id], createElement: (tag: string) => new FakeNode(tag) };
  const fetch = (_url: string, init: { headers: Record<string, string> }) => {
    requests.push({ ...(init.headers.Authorization ? { authorization: init.headers.Authorization } : {}) });
    const answer = answers.shift()!;
    setTimeout(settle, 10);
    return Promise.resolve({ status: answer.status, ok: answer.status < 300, json: () => Promise.resolve(answer.body) });
  };
  const sessionStorage = { getItem: () => null, setItem: () => undefined };
  new Function('document', 'fetch', 'sessionStorage', 'location', script)(document, fetch, sessionStorage, { origin: 'http://127.0.0.1:8001' });
  await settled;
  return { main: nodes.main!, requests };
}

/** Checks a value against the subset of JSON Schema the generator emits; returns the mismatches. */
function conforms(document: Json, schema: Json, value: unknown, at = '$'): string[] {
  if (schema.$ref) return conforms(document, resolvePointer(document, schema.$ref) as Json, value, at);
  if (schema.anyOf) {
    return (schema.anyOf as Json[]).some((s) => conforms(document, s, value, at).length === 0) ? [] : [`${at}: matches none of anyOf`];
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) return [`${at}: ${JSON.stringify(value)} not in enum`];
  if (schema.const !== undefined && schema.const !== value) return [`${at}: not ${JSON.stringify(schema.const)}`];
  const types: string[] = schema.type === undefined ? [] : [schema.type].flat();
  if (types.length > 0 && !types.some((t) => typeMatches(t, value))) return [`${at}: expected ${types.join('|')}, got ${JSON.stringify(value)}`];
  const problems: string[] = [];
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => problems.push(...conforms(document, schema.items, v, `${at}[${i}]`)));
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && schema.properties) {
    const record = value as Record<string, unknown>;
    for (const name of (schema.required as string[] | undefined) ?? []) if (!(name in record)) problems.push(`${at}.${name}: missing`);
    for (const [name, v] of Object.entries(record)) {
      const property = (schema.properties as Json)[name];
      if (property) problems.push(...conforms(document, property, v, `${at}.${name}`));
      else if (schema.additionalProperties === false) problems.push(`${at}.${name}: not documented`);
    }
  }
  return problems;
}

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}
