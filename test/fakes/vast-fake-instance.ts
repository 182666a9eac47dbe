/**
 * One fake Vast.ai instance: the state machine null → loading → running (or exited / offline / unknown / stuck in
 * loading / "OCI runtime create failed"), driven by the test's clock. When it reaches `running` it starts a REAL
 * worker process (src/gpu-worker) with exactly the env the create request carried — so tests prove what reaches a
 * rented machine — and only then shows the mapped port (HostPort as a string, public_ipaddr with a newline).
 */
import type { Clock } from '../../src/core/engine/ports.js';
import type { EngineLogger } from '../../src/core/engine/types.js';
import { startWorkerProcess } from '../../src/core/compute/worker-process.js';
import type { StartedWorkerProcess } from '../../src/core/compute/worker-process.js';

export type InstanceOutcome = 'running' | 'exited' | 'offline' | 'unknown' | 'stuck' | 'oci_failed';

export interface InstanceScript {
  /** Time with `actual_status: null` (being set up). */
  setupMs?: number;
  /** Time in `loading` (image pull) before the outcome. */
  loadingMs?: number;
  outcome?: InstanceOutcome;
}

export type KillMode = 'exited' | 'offline' | 'interrupted' | 'process_only';

export const OCI_MESSAGE =
  'Error response from daemon: failed to create task for container: OCI runtime create failed: runc create failed: unable to start container process: exec: "/entrypoint.sh": no such file or directory';

export interface FakeInstanceInit {
  id: number;
  offerId: number;
  machineId: number;
  gpuName: string;
  dphTotal: number;
  label: string | null;
  env: Record<string, string>;
  createdAt: number;
  script: Required<InstanceScript>;
  /** A planted instance (someone else's, or a leftover) has no worker behind it and starts out running. */
  planted?: boolean;
}

export class FakeInstance {
  status: string | null = null;
  statusMsg = '';
  stopped = false;
  destroyed = false;
  worker: StartedWorkerProcess | null = null;
  private starting = false;
  private hostPort: number | null = null;

  constructor(
    readonly init: FakeInstanceInit,
    private readonly clock: Clock,
    private readonly logger: EngineLogger,
  ) {
    if (init.planted) this.status = 'running';
  }

  get id(): number {
    return this.init.id;
  }

  /** The worker's port inside the container, from the `-p A:B` key of the create env. */
  get internalPort(): number | null {
    const key = Object.keys(this.init.env).find((k) => /^-p \d+:\d+/.test(k));
    return key ? Number(/^-p (\d+):/.exec(key)![1]) : null;
  }

  /** Moves the state machine to where the clock says it is. */
  advance(): void {
    if (this.destroyed || this.stopped || this.init.planted) return;
    if (this.status !== null && this.status !== 'loading') return;
    const { setupMs, loadingMs, outcome } = this.init.script;
    const age = this.clock.now() - this.init.createdAt;
    if (age < setupMs) return;
    if (outcome === 'stuck' || age < setupMs + loadingMs) {
      this.status = 'loading';
      return;
    }
    switch (outcome) {
      case 'running':
        this.status = 'loading';
        if (!this.starting) void this.startWorker();
        return;
      case 'oci_failed':
        this.status = 'created';
        this.statusMsg = OCI_MESSAGE;
        return;
      case 'exited':
        this.status = 'exited';
        this.statusMsg = 'container exited with code 1';
        return;
      default:
        this.status = outcome;
    }
  }

  private async startWorker(): Promise<void> {
    this.starting = true;
    const env = Object.fromEntries(Object.entries(this.init.env).filter(([key]) => !key.startsWith('-')));
    try {
      const worker = await startWorkerProcess({
        workerId: env.WORKER_ID ?? `vast-fake-${this.id}`,
        env,
        logger: this.logger,
        host: '127.0.0.1',
        port: 0,
        token: env.WORKER_TOKEN ?? '',
        ...(env.WORKER_SEAL_KEY ? { sealKey: env.WORKER_SEAL_KEY } : {}),
        startTimeoutMs: 30_000,
      });
      if (this.destroyed || this.stopped) {
        await worker.stop(1_000);
        return;
      }
      this.worker = worker;
      this.hostPort = Number(new URL(worker.url).port);
      this.status = 'running';
      // The container's main process died on its own: Vast shows the container exited.
      void worker.exited.then(({ code, signal }) => {
        if (this.worker !== worker) return;
        this.worker = null;
        this.status = 'exited';
        this.statusMsg = `container exited (code ${code ?? '-'}, signal ${signal ?? '-'})`;
      });
    } catch (error) {
      this.status = 'exited';
      this.statusMsg = `container exited: ${(error as Error).message}`;
    }
  }

  /** Simulates a host failure while running. */
  async kill(mode: KillMode): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    worker?.kill();
    await worker?.exited;
    if (mode === 'process_only') return;
    if (mode === 'interrupted') this.stopped = true;
    this.status = mode === 'interrupted' ? 'stopped' : mode;
  }

  /** Vast stops instances when credit runs out. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.status = 'stopped';
    const worker = this.worker;
    this.worker = null;
    await worker?.stop(1_000);
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    const worker = this.worker;
    this.worker = null;
    await worker?.stop(1_000);
  }

  /** What GET /instances shows. */
  view(): Record<string, unknown> {
    const running = this.status === 'running';
    const state = this.stopped ? 'stopped' : 'running';
    const port = this.internalPort;
    return {
      id: this.id,
      label: this.init.label,
      actual_status: this.status,
      cur_state: this.stopped ? 'stopped' : running ? 'running' : 'stopped',
      intended_status: state,
      next_state: state,
      status_msg: this.statusMsg || null,
      ports: running && port !== null && this.hostPort !== null ? { [`${port}/tcp`]: [{ HostIp: '0.0.0.0', HostPort: String(this.hostPort) }] } : running ? {} : null,
      public_ipaddr: '127.0.0.1\n',
      dph_total: this.init.dphTotal,
      start_date: this.init.createdAt / 1000,
      gpu_name: this.init.gpuName,
      num_gpus: 1,
      machine_id: this.init.machineId,
      ssh_host: 'ssh4.vast.ai',
      ssh_port: 10_000 + (this.id % 1000),
    };
  }
}
