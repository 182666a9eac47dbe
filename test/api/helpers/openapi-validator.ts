/**
 * A structural validator for OpenAPI 3.0/3.1 documents: the rules that make a document usable by tools (required
 * fields, responses on every operation, path parameters declared, unique operation ids, every `$ref` resolving,
 * security schemes and tags declared). Returns every problem found, as readable strings.
 */

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function validateOpenApi(doc: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(doc)) return ['the document is not an object'];
  if (typeof doc.openapi !== 'string' || !/^3\.[01]\.\d+$/.test(doc.openapi)) problems.push(`openapi must be "3.0.x" or "3.1.x" (got ${String(doc.openapi)})`);
  const info = doc.info;
  if (!isObject(info) || typeof info.title !== 'string' || typeof info.version !== 'string') problems.push('info.title and info.version are required strings');
  if (!isObject(doc.paths)) problems.push('paths must be an object');
  else checkPaths(doc, doc.paths, problems);
  checkRefs(doc, doc, '#', problems);
  checkSecurity(doc, problems);
  return problems;
}

function checkPaths(doc: Json, paths: Json, problems: string[]): void {
  const operationIds = new Set<string>();
  const declaredTags = new Set(Array.isArray(doc.tags) ? doc.tags.map((t) => (isObject(t) ? t.name : undefined)) : []);
  for (const [path, item] of Object.entries(paths)) {
    if (!path.startsWith('/')) problems.push(`path "${path}" must start with /`);
    if (!isObject(item)) {
      problems.push(`path "${path}" must be an object`);
      continue;
    }
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const [method, operation] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!METHODS.includes(method)) {
        if (!['parameters', 'summary', 'description', 'servers', '$ref'].includes(method)) problems.push(`${where}: unknown key`);
        continue;
      }
      if (!isObject(operation)) {
        problems.push(`${where}: operation must be an object`);
        continue;
      }
      checkOperation(where, operation, templated, problems);
      const id = operation.operationId;
      if (typeof id === 'string') {
        if (operationIds.has(id)) problems.push(`${where}: operationId "${id}" is not unique`);
        operationIds.add(id);
      }
      for (const tag of (operation.tags as unknown[] | undefined) ?? []) {
        if (!declaredTags.has(tag)) problems.push(`${where}: tag "${String(tag)}" is not declared in tags`);
      }
    }
  }
}

function checkOperation(where: string, operation: Json, templated: string[], problems: string[]): void {
  const responses = operation.responses;
  if (!isObject(responses) || Object.keys(responses).length === 0) problems.push(`${where}: needs at least one response`);
  else {
    for (const [status, response] of Object.entries(responses)) {
      if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) problems.push(`${where}: response key "${status}" is not a status code`);
      if (!isObject(response) || (typeof response.description !== 'string' && typeof response.$ref !== 'string')) {
        problems.push(`${where} ${status}: response needs a description`);
      } else if (isObject(response.content)) {
        for (const [media, body] of Object.entries(response.content)) {
          if (!isObject(body) || !isObject(body.schema)) problems.push(`${where} ${status} ${media}: needs a schema`);
        }
      }
    }
  }
  const parameters = Array.isArray(operation.parameters) ? operation.parameters : [];
  const seen = new Set<string>();
  for (const parameter of parameters) {
    if (!isObject(parameter) || typeof parameter.name !== 'string' || !['query', 'header', 'path', 'cookie'].includes(parameter.in as string)) {
      problems.push(`${where}: a parameter needs a name and in (query, header, path, cookie)`);
      continue;
    }
    const key = `${String(parameter.in)}:${parameter.name}`;
    if (seen.has(key)) problems.push(`${where}: parameter ${key} declared twice`);
    seen.add(key);
    if (!isObject(parameter.schema) && !isObject(parameter.content)) problems.push(`${where}: parameter ${parameter.name} needs a schema`);
    if (parameter.in === 'path' && parameter.required !== true) problems.push(`${where}: path parameter ${parameter.name} must be required`);
    if (parameter.in === 'path' && !templated.includes(parameter.name)) problems.push(`${where}: path parameter ${parameter.name} is not in the path`);
  }
  for (const name of templated) {
    if (!seen.has(`path:${name}`)) problems.push(`${where}: path parameter {${name}} is not declared`);
  }
  if (operation.requestBody !== undefined) {
    const body = operation.requestBody;
    if (!isObject(body) || (!isObject(body.content) && typeof body.$ref !== 'string')) problems.push(`${where}: requestBody needs content`);
  }
}

/** Every `$ref` (internal ones) must point at something that exists. */
function checkRefs(doc: Json, node: unknown, at: string, problems: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((child, i) => checkRefs(doc, child, `${at}/${i}`, problems));
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') {
      if (!value.startsWith('#/')) problems.push(`${at}: external $ref ${value} not allowed here`);
      else if (resolvePointer(doc, value) === undefined) problems.push(`${at}: $ref ${value} does not resolve`);
    } else {
      checkRefs(doc, value, `${at}/${key}`, problems);
    }
  }
}

export function resolvePointer(doc: Json, ref: string): unknown {
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

function checkSecurity(doc: Json, problems: string[]): void {
  const components = isObject(doc.components) ? doc.components : {};
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : {};
  const requirements: unknown[] = [...(Array.isArray(doc.security) ? doc.security : [])];
  for (const item of Object.values(isObject(doc.paths) ? doc.paths : {})) {
    for (const operation of Object.values(isObject(item) ? item : {})) {
      if (isObject(operation) && Array.isArray(operation.security)) requirements.push(...operation.security);
    }
  }
  for (const requirement of requirements) {
    for (const name of Object.keys(isObject(requirement) ? requirement : {})) {
      if (!(name in schemes)) problems.push(`security requirement "${name}" has no securityScheme`);
    }
  }
}
