/**
 * A fake Vast.ai REST API following ../shared/reference/vastai-api.md, for the real {@link VastClient}:
 * offer search (JSON filters, order, limit; `rented` deliberately not applied, as the real server may not),
 * create from an offer (PUT /api/v0/asks/{id}/), one instance (`{"instances": {...}|null}`), the v1 list with
 * `select_filters` and page tokens, destroy (404 = already gone), the account (with an `api_key` field a client
 * must never log), the deprecated v0 list (410). Per-endpoint minimum gaps answered with 429 and no Retry-After
 * (a create too soon is penalised), offers that vanish (404/410 no_such_ask), insufficient credit (411), creates
 * whose answer is lost after the instance was made, and instances that never start (see {@link FakeInstance}).
 * Time is the test's {@link Clock}; GPU time is billed against `credit` while instances run.
 */
import type { Clock } from '../../src/core/engine/ports.js';
import type { EngineLogger } from '../../src/core/engine/types.js';
import { silentLogger } from '../../src/logger.js';
import { HttpFake } from './http-fake.js';
import type { FakeRequest, FakeResponse } from './http-fake.js';
import { FilterError, applyFilters, applyOrder } from './vast-fake-filters.js';
import type { Row } from './vast-fake-filters.js';
import { FakeInstance } from './vast-fake-instance.js';
import type { InstanceScript, KillMode } from './vast-fake-instance.js';

export type FakeEndpoint = 'search' | 'create' | 'show' | 'list' | 'destroy' | 'account';
export type LostCreate = 'bad_gateway' | 'hang';

export interface VastFakeOptions {
  clock: Clock;
  apiKey: string;
  credit?: number;
  /** Minimum gaps per endpoint (ms on `clock`); a call sooner gets 429. Default: none enforced. */
  gaps?: Partial<Record<FakeEndpoint, number>>;
  /** After a create that came too soon, creates are refused for this long. */
  createPenaltyMs?: number;
  /** A new instance appears in reads only this long after its create (reads lag writes). */
  readLagMs?: number;
  defaultScript?: InstanceScript;
  logger?: EngineLogger;
}

/** A typical offer; override what a test cares about. */
export function fakeOffer(id: number, overrides: Row = {}): Row {
  return {
    id, ask_contract_id: id, machine_id: 5_000 + id, gpu_name: 'RTX 4090', num_gpus: 1, gpu_ram: 24_564, gpu_total_ram: 24_564,
    cpu_cores: 32, cpu_cores_effective: 16, cpu_ram: 64_000, disk_space: 200, dph_total: 0.4, storage_cost: 0.15,
    inet_down: 900, inet_up: 600, reliability: 0.995, reliability2: 0.995, dlperf: 80, score: 200, compute_cap: 890,
    cuda_max_good: 12.8, direct_port_count: 20, geolocation: 'Quebec, CA', verified: true, external: false, rentable: true, rented: false,
    ...overrides,
  };
}

export class VastFake {
  readonly http = new HttpFake('vast');
  offers: Row[] = [];
  credit: number;
  readonly instances = new Map<number, FakeInstance>();
  readonly destroyed: FakeInstance[] = [];
  readonly createRequests: { offerId: number; body: Record<string, unknown> }[] = [];
  readonly rateLimited: Record<FakeEndpoint, number> = { search: 0, create: 0, show: 0, list: 0, destroy: 0, account: 0 };
  /** Requests that broke the contract (an `api_key` in the query, a missing bearer token). */
  readonly violations: string[] = [];
  private readonly scripts = new Map<number, InstanceScript[]>();
  private readonly lostCreates: { how: LostCreate; hiddenForMs: number }[] = [];
  private readonly hiddenUntil = new Map<number, number>();
  private readonly vanishing = new Map<number, 404 | 410>();
  private readonly lastCall = new Map<FakeEndpoint, number>();
  private createBlockedUntil = 0;
  private lastCharge: number;
  private nextId = 7_000_001;

  constructor(private readonly options: VastFakeOptions) {
    this.credit = options.credit ?? 100;
    this.lastCharge = options.clock.now();
    this.routes();
  }

  get url(): string {
    return this.http.url;
  }

  async start(): Promise<this> {
    await this.http.start();
    return this;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.instances.values()].map((i) => i.destroy()));
    await this.http.stop();
  }

  /** Scripts the next instances created from this offer (in order); then the default applies. */
  script(offerId: number, ...scripts: InstanceScript[]): this {
    this.scripts.set(offerId, [...(this.scripts.get(offerId) ?? []), ...scripts]);
    return this;
  }

  /** The next create makes the instance but its answer is lost; the instance may stay out of reads for a while. */
  loseNextCreateAnswer(how: LostCreate = 'bad_gateway', hiddenForMs = 0): this {
    this.lostCreates.push({ how, hiddenForMs });
    return this;
  }

  /** The offer still shows in searches, but is gone when someone tries to rent it. */
  vanishOnCreate(offerId: number, status: 404 | 410 = 404): this {
    this.vanishing.set(offerId, status);
    return this;
  }

  /** An instance that exists without us having created it through the API (someone else's, or a leftover). */
  plant(label: string | null, overrides: { dphTotal?: number; startedAt?: number; gpuName?: string } = {}): number {
    const id = this.nextId++;
    const init = { id, offerId: 0, machineId: 0, gpuName: overrides.gpuName ?? 'RTX 3090', dphTotal: overrides.dphTotal ?? 0.3, label, env: {}, createdAt: overrides.startedAt ?? this.options.clock.now(), script: { setupMs: 0, loadingMs: 0, outcome: 'running' as const }, planted: true };
    this.instances.set(id, new FakeInstance(init, this.options.clock, this.logger));
    return id;
  }

  kill(instanceId: number, mode: KillMode): Promise<void> {
    const instance = this.instances.get(instanceId);
    if (!instance) throw new Error(`no live instance ${instanceId}`);
    return instance.kill(mode);
  }

  /** Instances not destroyed. */
  live(): FakeInstance[] {
    return [...this.instances.values()];
  }

  instanceOfWorker(workerId: string): FakeInstance | undefined {
    return this.live().find((i) => i.init.env.WORKER_ID === workerId);
  }

  private get logger(): EngineLogger {
    return this.options.logger ?? silentLogger();
  }

  private routes(): void {
    this.http
      .on('POST', '/api/v0/bundles/', (req) => this.guarded('search', req, () => this.search(req)))
      .on('PUT', '/api/v0/asks/:id/', (req) => this.guarded('create', req, () => this.create(req)))
      .on('GET', '/api/v0/instances/', (req) => this.guarded('list', req, () => ({ status: 410, body: { success: false, error: 'deprecated', msg: 'use /api/v1/instances/' } })))
      .on('GET', '/api/v0/instances/:id/', (req) => this.guarded('show', req, () => this.show(req)))
      .on('DELETE', '/api/v0/instances/:id/', (req) => this.guarded('destroy', req, () => this.destroy(req)))
      .on('GET', '/api/v1/instances/', (req) => this.guarded('list', req, () => this.list(req)))
      .on('GET', '/api/v0/users/current/', (req) => this.guarded('account', req, () => this.account()));
  }

  /** Auth, rate limits and billing, then the handler. */
  private async guarded(endpoint: FakeEndpoint, req: FakeRequest, handle: () => FakeResponse | Promise<FakeResponse>): Promise<FakeResponse> {
    if (req.query.has('api_key')) this.violations.push(`api_key in the query of ${req.method} ${req.path}`);
    if (req.headers.authorization !== `Bearer ${this.options.apiKey}`) {
      this.violations.push(`no valid bearer token on ${req.method} ${req.path}`);
      return { status: 401, body: { success: false, error: 'auth_error', msg: 'Invalid user key' } };
    }
    const limited = this.rateLimit(endpoint);
    if (limited) return limited;
    await this.charge();
    return handle();
  }

  private rateLimit(endpoint: FakeEndpoint): FakeResponse | null {
    const now = this.options.clock.now();
    const gap = this.options.gaps?.[endpoint] ?? 0;
    const last = this.lastCall.get(endpoint);
    this.lastCall.set(endpoint, now);
    const tooSoon = last !== undefined && now - last < gap;
    const blocked = endpoint === 'create' && now < this.createBlockedUntil;
    if (!tooSoon && !blocked) return null;
    this.rateLimited[endpoint] += 1;
    if (endpoint === 'create') this.createBlockedUntil = now + (this.options.createPenaltyMs ?? gap);
    // Vast's 429s come in several shapes and never with a Retry-After.
    if (endpoint === 'search') return { status: 429, body: 'API requests too frequent endpoint threshold=6.0' };
    if (endpoint === 'create') return { status: 429, body: { detail: 'API requests too frequent' } };
    return { status: 429, body: { success: false, error: 'rate_limit_exceeded', msg: 'API requests too frequent' } };
  }

  /** GPU time is billed while instances run; at zero credit Vast stops them. */
  private async charge(): Promise<void> {
    const now = this.options.clock.now();
    const hours = Math.max(0, now - this.lastCharge) / 3_600_000;
    this.lastCharge = now;
    for (const instance of this.instances.values()) {
      instance.advance();
      if (instance.status === 'running' && !instance.init.planted) this.credit -= instance.init.dphTotal * hours;
    }
    if (this.credit <= 0) await Promise.all(this.live().filter((i) => i.status === 'running').map((i) => i.stop()));
  }

  private search(req: FakeRequest): FakeResponse {
    const body = (req.json ?? {}) as Record<string, unknown>;
    const rentedOfferIds = new Set(this.live().map((i) => i.init.offerId));
    const market = this.offers.map((o) => ({ ...o, rented: rentedOfferIds.has(o.id as number) }));
    try {
      const filtered = applyFilters(market, body, new Set(['rented']));
      const limit = typeof body.limit === 'number' ? body.limit : 64;
      return { body: { offers: applyOrder(filtered, body.order).slice(0, limit) } };
    } catch (error) {
      if (error instanceof FilterError) return { status: 400, body: { success: false, error: 'invalid_args', msg: error.message } };
      throw error;
    }
  }

  private async create(req: FakeRequest): Promise<FakeResponse> {
    const offerId = Number(req.params.id);
    const body = (req.json ?? {}) as Record<string, unknown>;
    this.createRequests.push({ offerId, body });
    const vanished = this.vanishing.get(offerId);
    const offer = this.offers.find((o) => o.id === offerId);
    const taken = this.live().some((i) => i.init.offerId === offerId);
    if (vanished || !offer || taken) {
      if (taken && !vanished) return { status: 404, body: { success: false, error: 'invalid_args', msg: `error 404/3603: no_such_ask  Instance type by id ${offerId} is not available.` } };
      this.vanishing.delete(offerId);
      this.offers = this.offers.filter((o) => o.id !== offerId);
      const status = vanished ?? 404;
      return { status, body: { success: false, error: status === 410 ? 'no_such_ask' : 'invalid_args', msg: `error 404/3603: no_such_ask  Instance type by id ${offerId} is not available.` } };
    }
    if (this.credit < (offer.dph_total as number)) return { status: 411, body: { msg: 'Insufficient credit' } };
    const instance = this.newInstance(offer, body);
    const lost = this.lostCreates.shift();
    if (lost?.hiddenForMs) this.hiddenUntil.set(instance.id, instance.init.createdAt + lost.hiddenForMs);
    if (lost?.how === 'bad_gateway') return { status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    if (lost?.how === 'hang') return new Promise<FakeResponse>(() => undefined);
    return { body: { success: true, new_contract: instance.id, instance_api_key: `inst-${instance.id}-secret` } };
  }

  private newInstance(offer: Row, body: Record<string, unknown>): FakeInstance {
    const offerId = offer.id as number;
    const queue = this.scripts.get(offerId) ?? [];
    const script = { setupMs: 5_000, loadingMs: 60_000, outcome: 'running' as const, ...this.options.defaultScript, ...queue.shift() };
    const env = (body.env && typeof body.env === 'object' ? body.env : {}) as Record<string, string>;
    const init = { id: this.nextId++, offerId, machineId: offer.machine_id as number, gpuName: offer.gpu_name as string, dphTotal: offer.dph_total as number, label: typeof body.label === 'string' ? body.label : null, env, createdAt: this.options.clock.now(), script };
    const instance = new FakeInstance(init, this.options.clock, this.logger);
    this.instances.set(instance.id, instance);
    return instance;
  }

  /** Reads lag writes: a brand-new instance is not visible for `readLagMs`. */
  private visible(instance: FakeInstance): boolean {
    const now = this.options.clock.now();
    return now - instance.init.createdAt >= (this.options.readLagMs ?? 0) && now >= (this.hiddenUntil.get(instance.id) ?? 0);
  }

  private show(req: FakeRequest): FakeResponse {
    const instance = this.instances.get(Number(req.params.id));
    return { body: { instances: instance && this.visible(instance) ? instance.view() : null } };
  }

  private list(req: FakeRequest): FakeResponse {
    const filters = JSON.parse(req.query.get('select_filters') ?? '{}') as Record<string, unknown>;
    const limit = Number(req.query.get('limit') ?? 25);
    const after = Number(req.query.get('after_token') ?? 0);
    const views = this.live().filter((i) => this.visible(i)).map((i) => i.view());
    const matching = applyFilters(views, filters);
    const page = matching.slice(after, after + limit);
    const next = after + limit < matching.length ? String(after + limit) : null;
    return { body: { success: true, instances: page, next_token: next } };
  }

  private async destroy(req: FakeRequest): Promise<FakeResponse> {
    const instance = this.instances.get(Number(req.params.id));
    if (!instance) return { status: 404, body: { success: false, error: 'no_such_instance', msg: 'Instance does not exist.' } };
    this.instances.delete(instance.id);
    this.destroyed.push(instance);
    await instance.destroy();
    return { body: { success: true } };
  }

  private account(): FakeResponse {
    return { body: { id: 4242, username: 'family-legal', email: 'team@example.org', credit: this.credit, balance: this.credit + 5, api_key: this.options.apiKey, has_billing: true } };
  }
}
