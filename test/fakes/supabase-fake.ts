/**
 * A fake Supabase REST endpoint (PostgREST-shaped) whose statements run on PGlite, so upserts, constraints,
 * generated columns, RLS and grants have real Postgres semantics. Enough of PostgREST for what supabase-js sends:
 * POST with `on_conflict`/`columns`/`Prefer: resolution=…, missing=default, return=…`, GET/HEAD with `select`,
 * filters (`eq`, `neq`, `gt`, `gte`, `lt`, `lte`, `in`, `is`, `like`, `ilike`), `order`, `limit`, `offset` and
 * `Prefer: count=exact`. The service key runs as `service_role` (bypasses RLS), the anon key as `anon`.
 * Faults come from {@link HttpFake.inject}.
 */
import { PGlite } from '@electric-sql/pglite';
import type { Transaction } from '@electric-sql/pglite';
import { readFileSync } from 'node:fs';
import { HttpFake } from './http-fake.js';
import type { FakeRequest, FakeResponse } from './http-fake.js';

export const SERVICE_KEY = 'sb_secret_fake_service_key_0123456789';
export const ANON_KEY = 'sb_publishable_fake_anon_key_0123456789';

interface PgError {
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
}

export class SupabaseFake {
  readonly http = new HttpFake('supabase');
  readonly pg = new PGlite();
  private readonly columnsCache = new Map<string, Set<string>>();

  /** Creates Supabase's roles, applies `migrations` (file paths) and starts listening. */
  async start(migrations: readonly string[] = []): Promise<this> {
    await this.pg.exec(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN BYPASSRLS; END IF;
      END $$;
      GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;`);
    for (const file of migrations) await this.pg.exec(readFileSync(file, 'utf8'));
    this.http.on('POST', '/rest/v1/:table', (req) => this.insert(req));
    this.http.on('GET', '/rest/v1/:table', (req) => this.select(req));
    this.http.on('HEAD', '/rest/v1/:table', (req) => this.select(req));
    await this.http.start();
    return this;
  }

  get url(): string {
    return this.http.url;
  }

  async stop(): Promise<void> {
    await this.http.stop();
    await this.pg.close();
  }

  /** Direct SQL for assertions. */
  async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pg.query<T>(sql, params)).rows;
  }

  /** Schema changed outside the fake (a test dropping a column): forget what was cached. */
  forgetSchema(): void {
    this.columnsCache.clear();
  }

  private role(req: FakeRequest): 'service_role' | 'anon' | null {
    const apikey = req.headers.apikey;
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (apikey === SERVICE_KEY && (bearer === undefined || bearer === SERVICE_KEY)) return 'service_role';
    if (apikey === ANON_KEY && (bearer === undefined || bearer === ANON_KEY)) return 'anon';
    return null;
  }

  private async columnsOf(table: string): Promise<Set<string> | null> {
    const cached = this.columnsCache.get(table);
    if (cached) return cached;
    const rows = await this.rows<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
      [table],
    );
    if (rows.length === 0) return null;
    const set = new Set(rows.map((r) => r.column_name));
    this.columnsCache.set(table, set);
    return set;
  }

  /** PostgREST answers from its schema cache before Postgres sees anything. */
  private async checkSchema(table: string, columns: readonly string[]): Promise<FakeResponse | null> {
    const known = await this.columnsOf(table);
    if (!known) {
      return { status: 404, body: { code: 'PGRST205', details: null, hint: null, message: `Could not find the table 'public.${table}' in the schema cache` } };
    }
    const missing = columns.find((c) => !known.has(c));
    if (missing) {
      return { status: 400, body: { code: 'PGRST204', details: null, hint: null, message: `Could not find the '${missing}' column of '${table}' in the schema cache` } };
    }
    return null;
  }

  private async insert(req: FakeRequest): Promise<FakeResponse> {
    const role = this.role(req);
    if (!role) return unauthorized();
    const table = req.params.table!;
    const rows = (Array.isArray(req.json) ? req.json : [req.json]) as Record<string, unknown>[];
    const columns = parseColumns(req.query.get('columns')) ?? Object.keys(rows[0] ?? {});
    const schemaError = await this.checkSchema(table, [...columns, ...(req.query.get('on_conflict')?.split(',') ?? [])]);
    if (schemaError) return schemaError;
    const prefer = parsePrefer(req.headers.prefer);
    try {
      const written = await this.pg.transaction(async (tx) => {
        await tx.exec(`SET LOCAL ROLE ${role}`);
        return prefer.missing === 'default'
          ? this.insertRowByRow(tx, table, rows, req.query.get('on_conflict'), prefer.resolution)
          : this.insertRecordset(tx, table, rows, columns, req.query.get('on_conflict'), prefer.resolution);
      });
      if (prefer.return === 'representation') return { status: 201, body: written };
      return { status: 201 };
    } catch (error) {
      return postgresError(error as PgError, role);
    }
  }

  private async insertRecordset(
    tx: Transaction,
    table: string,
    rows: Record<string, unknown>[],
    columns: readonly string[],
    onConflict: string | null,
    resolution: string | undefined,
  ): Promise<unknown[]> {
    const list = columns.map(ident).join(', ');
    const sql = `INSERT INTO public.${ident(table)} (${list})
      SELECT ${list} FROM json_populate_recordset(NULL::public.${ident(table)}, $1::json)
      ${conflictClause(columns, onConflict, resolution)} RETURNING *`;
    return (await tx.query(sql, [JSON.stringify(rows)])).rows;
  }

  /** `missing=default`: a key a row does not mention gets the column default, so each row is its own statement. */
  private async insertRowByRow(
    tx: Transaction,
    table: string,
    rows: Record<string, unknown>[],
    onConflict: string | null,
    resolution: string | undefined,
  ): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const row of rows) {
      const columns = Object.keys(row);
      const list = columns.map(ident).join(', ');
      const sql = `INSERT INTO public.${ident(table)} (${list})
        SELECT ${list} FROM json_populate_record(NULL::public.${ident(table)}, $1::json)
        ${conflictClause(columns, onConflict, resolution)} RETURNING *`;
      out.push(...(await tx.query(sql, [JSON.stringify(row)])).rows);
    }
    return out;
  }

  private async select(req: FakeRequest): Promise<FakeResponse> {
    const role = this.role(req);
    if (!role) return unauthorized();
    const table = req.params.table!;
    const select = req.query.get('select') ?? '*';
    const columns = select === '*' ? [] : select.split(',').map((c) => c.trim());
    const filters = parseFilters(req.query);
    const order = parseOrder(req.query.get('order'));
    const schemaError = await this.checkSchema(table, [...columns, ...filters.map((f) => f.column), ...order.map((o) => o.column)]);
    if (schemaError) return schemaError;
    const params: unknown[] = [];
    const where = filters.map((f) => f.sql(params)).join(' AND ');
    const base = `FROM public.${ident(table)}${where ? ` WHERE ${where}` : ''}`;
    const limit = req.query.get('limit');
    const offset = Number(req.query.get('offset') ?? 0);
    const orderSql = order.length ? ` ORDER BY ${order.map((o) => `${ident(o.column)} ${o.direction}`).join(', ')}` : '';
    const listSql = `SELECT ${columns.length ? columns.map(ident).join(', ') : '*'} ${base}${orderSql}${limit ? ` LIMIT ${Number(limit)}` : ''} OFFSET ${offset}`;
    try {
      const { rows, total } = await this.pg.transaction(async (tx) => {
        await tx.exec(`SET LOCAL ROLE ${role}`);
        const found = (await tx.query(listSql, params)).rows;
        const counted = parsePrefer(req.headers.prefer).count ? (await tx.query<{ n: number }>(`SELECT COUNT(*)::int AS n ${base}`, params)).rows[0]!.n : null;
        return { rows: found, total: counted };
      });
      const range = rows.length > 0 ? `${offset}-${offset + rows.length - 1}` : '*';
      const headers = { 'content-range': `${range}/${total ?? '*'}` };
      return req.method === 'HEAD' ? { status: 200, headers } : { status: 200, headers, body: rows };
    } catch (error) {
      return postgresError(error as PgError, role);
    }
  }
}

function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsupported identifier ${name}`);
  return `"${name}"`;
}

function conflictClause(columns: readonly string[], onConflict: string | null, resolution: string | undefined): string {
  if (!onConflict || !resolution) return '';
  const target = onConflict.split(',').map((c) => ident(c.trim())).join(', ');
  if (resolution === 'ignore-duplicates') return `ON CONFLICT (${target}) DO NOTHING`;
  const updates = columns.map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`).join(', ');
  return `ON CONFLICT (${target}) DO UPDATE SET ${updates}`;
}

function parseColumns(value: string | null): string[] | null {
  return value ? value.split(',').map((c) => c.trim().replace(/^"|"$/g, '')) : null;
}

function parsePrefer(header: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of String(header ?? '').split(',')) {
    const [key, value] = part.trim().split('=');
    if (key && value) out[key] = value;
  }
  return out;
}

const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'on_conflict', 'columns']);
const OPERATORS: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', like: 'LIKE', ilike: 'ILIKE' };

interface Filter {
  column: string;
  sql(params: unknown[]): string;
}

function parseFilters(query: URLSearchParams): Filter[] {
  const filters: Filter[] = [];
  for (const [column, raw] of query) {
    if (RESERVED.has(column)) continue;
    const dot = raw.indexOf('.');
    const op = raw.slice(0, dot);
    const value = raw.slice(dot + 1);
    filters.push({ column, sql: (params) => filterSql(column, op, value, params) });
  }
  return filters;
}

function filterSql(column: string, op: string, value: string, params: unknown[]): string {
  if (op === 'is') return `${ident(column)} IS ${value === 'null' ? 'NULL' : value === 'true' ? 'TRUE' : 'FALSE'}`;
  if (op === 'in') {
    const items = value.replace(/^\(|\)$/g, '').split(',').map((v) => v.replace(/^"|"$/g, ''));
    params.push(items);
    return `${ident(column)}::text = ANY($${params.length}::text[])`;
  }
  const sqlOp = OPERATORS[op];
  if (!sqlOp) throw new Error(`unsupported filter operator ${op}`);
  params.push(op.endsWith('like') ? value.replace(/\*/g, '%') : value);
  return `${ident(column)}::text ${sqlOp} $${params.length}`;
}

function parseOrder(value: string | null): { column: string; direction: 'ASC' | 'DESC' }[] {
  if (!value) return [];
  return value.split(',').map((part) => {
    const [column, direction] = part.split('.');
    return { column: column!, direction: direction === 'desc' ? 'DESC' : 'ASC' };
  });
}

function unauthorized(): FakeResponse {
  return { status: 401, body: { code: 'PGRST301', details: null, hint: null, message: 'No suitable key or wrong key type' } };
}

/** PostgREST's SQLSTATE → HTTP status mapping (the part that matters here). */
function postgresError(error: PgError, role: string): FakeResponse {
  const code = error.code ?? 'XX000';
  const status =
    code === '23505' || code === '23503'
      ? 409
      : code === '42501'
        ? role === 'anon' ? 401 : 403
        : code === '42P01' || code === '42883'
          ? 404
          : code.startsWith('08') || code.startsWith('53')
            ? 503
            : /^(XX|25|40|54|55|57|58)/.test(code)
              ? 500
              : 400;
  return { status, body: { code, message: error.message, details: error.detail ?? null, hint: error.hint ?? null } };
}
