import { randomBytes } from 'node:crypto';
import { EmulatorRouter, EmulatorServer, type EmulatorRequest, type EmulatorResponse } from '../emulator-server.js';
import { handleGraphQL } from './fly-graphql.js';
import { registerMachineRoutes } from './fly-machine-routes.js';
import { FlyState } from './fly-state.js';
import type { FlyMachine } from './fly-types.js';

export interface FlyEmulatorOptions {
  /** The API token clients must send; a random `fo1_` token when unset. */
  token?: string;
  /** Apps that exist from the start. */
  apps?: string[];
  defaultRegion?: string;
  /**
   * How a created machine launches: after `startDelayMs` (default 0) it moves
   * to `started`. With `autoStart: false` it stays `created` until a test moves it.
   */
  autoStart?: boolean;
  startDelayMs?: number;
  now?: () => Date;
}

/**
 * A loopback stand-in for the Fly Machines REST API (`apiUrl`) and the slice
 * of Fly's GraphQL API (`graphqlUrl`) that manages app secrets. Both live on
 * one server: REST under `/v1`, GraphQL at `/graphql`.
 */
export class FlyEmulator {
  readonly token: string;
  readonly state: FlyState;
  readonly server: EmulatorServer;
  private readonly router = new EmulatorRouter();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly autoStart: boolean;
  private readonly startDelayMs: number;

  constructor(options: FlyEmulatorOptions = {}) {
    this.token = options.token ?? `fo1_${randomBytes(24).toString('base64url')}`;
    this.state = new FlyState(options.now ?? (() => new Date()));
    this.autoStart = options.autoStart ?? true;
    this.startDelayMs = options.startDelayMs ?? 0;
    for (const app of options.apps ?? []) this.state.createApp(app);
    registerMachineRoutes(this.router, {
      state: this.state,
      defaultRegion: options.defaultRegion ?? 'iad',
      launch: (machine) => this.launch(machine),
    });
    this.router.on('POST', '/graphql', (req) => handleGraphQL(this.state, req.body));
    this.server = new EmulatorServer('fly', (req) => this.handle(req));
  }

  /** Starts listening on 127.0.0.1 and resolves with the base URL. */
  start(port = 0): Promise<string> {
    return this.server.start(port);
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.server.stop();
  }

  /** fly-admin's `apiUrl` (it appends `/v1/...`). */
  get apiUrl(): string {
    return this.server.url;
  }

  /** fly-admin's `graphqlUrl` (it appends `/graphql`). */
  get graphqlUrl(): string {
    return this.server.url;
  }

  /** Secret name → value for an app: what was set, which the API never reveals. */
  secretValues(app: string): Record<string, string> {
    return this.state.secretValues(app);
  }

  private launch(machine: FlyMachine): void {
    if (!this.autoStart) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (machine.state === 'created') this.state.setMachineState(machine.app, machine.id, 'started');
    }, this.startDelayMs);
    this.timers.add(timer);
  }

  private async handle(req: EmulatorRequest): Promise<EmulatorResponse> {
    if (!this.authorized(req.headers.authorization)) {
      return req.path === '/graphql'
        ? { status: 401, body: { errors: [{ message: 'You must be authenticated to view this.', extensions: { code: 'UNAUTHORIZED' } }] } }
        : { status: 401, body: { error: 'unauthorized' } };
    }
    const response = await this.router.handle(req);
    if (response.status === 404 && !hasErrorField(response.body)) return { status: 404, body: { error: 'not found' } };
    if (response.status === 405) return { status: 405, body: { error: 'method not allowed' } };
    return response;
  }

  /** Fly accepts `Bearer <token>` and `FlyV1 <token>`. */
  private authorized(header: string | string[] | undefined): boolean {
    const value = Array.isArray(header) ? header[0] : header;
    const match = /^(?:bearer|flyv1)\s+(.+)$/i.exec(value?.trim() ?? '');
    return match?.[1] === this.token;
  }
}

function hasErrorField(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'error' in body;
}
