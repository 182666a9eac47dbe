/**
 * The OpenAPI 3.1 document, generated from the routes' own zod schemas (`z.toJSONSchema`): what the server
 * validates is what the document describes. Shared schemas become components; request bodies are described as
 * the server accepts them (`io: 'input'`), responses as it sends them (`io: 'output'`).
 */
import { z } from 'zod';
import type { Route } from './router.js';
import { errorSchema, namedSchemas } from './schemas.js';

type JsonObject = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: { name: string; description: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, JsonObject>>;
  components: { schemas: Record<string, JsonObject>; securitySchemes: Record<string, JsonObject> };
}

const COMPONENTS = '#/components/schemas/';

const TAGS: Record<string, string> = {
  service: 'Health and this documentation',
  batch: 'Processing sessions (the seed\'s batch endpoints)',
  documents: 'What has been processed',
  vastai: 'Rented GPU machines (needs VAST_AI_API_KEY)',
  drive: 'Google Drive (needs Drive credentials)',
};

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid input: `error.fields` names every field at fault',
  401: 'missing or wrong bearer token',
  404: 'no such session, checkpoint or document',
  409: 'conflicts with the state of a session',
  413: 'request body larger than API_MAX_BODY_KB',
  415: 'the body is not JSON',
  422: 'the folder does not exist or holds no documents',
  500: 'an unexpected failure (details only in the service log)',
  502: 'an integration (Vast.ai, Google Drive) failed',
  503: 'the integration is not configured, or the service is shutting down',
};

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export function buildOpenApiDocument(routes: readonly Route[], info: { version: string }): OpenApiDocument {
  const components = new ComponentSet();
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const operation: JsonObject = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      ...(route.public ? { security: [] } : {}),
      parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
      ...(route.body ? { requestBody: { required: false, content: { 'application/json': { schema: components.input(`${pascal(route.operationId)}Request`, route.body) } } } } : {}),
      responses: responsesOf(route, components),
    };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ASEAGI Batch API',
      version: info.version,
      description:
        'Automation interface of ASEAGI Batch (the seed\'s batch-processor endpoints). Every endpoint but /health and /docs ' +
        'needs `Authorization: Bearer <API_TOKEN>` when API_TOKEN is set. Errors are `{ "error": { "code", "message" } }`.',
    },
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    security: [{ bearerAuth: [] }],
    paths,
    components: { schemas: components.render(), securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'API_TOKEN' } } },
  };
}

function responsesOf(route: Route, components: ComponentSet): JsonObject {
  const responses: JsonObject = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const media = spec.contentType ?? 'application/json';
    const schema = media === 'text/html' ? { type: 'string' } : components.output(`${pascal(route.operationId)}Response${status}`, spec.schema);
    responses[status] = { description: spec.description, content: { [media]: { schema } } };
  }
  const common = [
    ...(route.params || route.query || route.body ? [400] : []),
    ...(route.public ? [] : [401]),
    ...(route.body ? [413, 415] : []),
    ...route.errors,
    500,
  ];
  for (const status of common) {
    if (responses[status]) continue;
    responses[status] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'error',
      content: { 'application/json': { schema: components.output('Error', errorSchema) } },
    };
  }
  return responses;
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonObject[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonObject>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

/**
 * Collects component schemas: the shared named ones, plus one per route body/response, then converts each group
 * in one `z.toJSONSchema` call so references between them become `$ref`s.
 */
class ComponentSet {
  private readonly outputs = z.registry<{ id: string }>();
  private readonly inputs = z.registry<{ id: string }>();

  constructor() {
    for (const { id, schema } of namedSchemas) this.add(this.outputs, id, schema);
  }

  output(id: string, schema: z.ZodType): JsonObject {
    return { $ref: COMPONENTS + this.add(this.outputs, id, schema) };
  }

  input(id: string, schema: z.ZodType): JsonObject {
    return { $ref: COMPONENTS + this.add(this.inputs, id, schema) };
  }

  render(): Record<string, JsonObject> {
    const uri = (id: string): string => COMPONENTS + id;
    const out = z.toJSONSchema(this.outputs, { io: 'output', uri, unrepresentable: 'any' }).schemas;
    const inp = z.toJSONSchema(this.inputs, { io: 'input', uri, unrepresentable: 'any' }).schemas;
    const all: Record<string, JsonObject> = {};
    for (const [id, schema] of [...Object.entries(out), ...Object.entries(inp)]) {
      // A fragment `$id` is not valid JSON Schema 2020-12, and `$schema` is implied by OpenAPI 3.1.
      const { $id: _id, $schema: _schema, ...rest } = schema as JsonObject;
      all[id] = rest;
    }
    return all;
  }

  private add(registry: z.core.$ZodRegistry<{ id: string }>, id: string, schema: z.ZodType): string {
    if (registry.has(schema)) return registry.get(schema)!.id;
    registry.add(schema, { id });
    return id;
  }
}
