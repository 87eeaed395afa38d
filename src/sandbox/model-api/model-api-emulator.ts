import { EmulatorServer, type EmulatorRequest, type EmulatorResponse } from '../emulator-server.js';
import { anthropicError, anthropicEvents, anthropicMessage, anthropicTokenCount, readAnthropicCall } from './anthropic-messages.js';
import { geminiError, geminiEvents, geminiResponse, geminiTokenCount, readGeminiCall } from './gemini-generate.js';
import { ModelFaults, type ModelApiKind, type ModelFault } from './model-faults.js';
import type { ModelCall, ModelReply } from './model-reply.js';
import { credentialOf, scrubHeaders, scrubQuery, type ModelApiRequest } from './model-request-log.js';
import { classifyRoute, type ModelRoute } from './model-routes.js';
import { pickTurn, SIDE_USAGE, usageOf, type ConversationScript } from './model-script.js';
import { readResponsesCall, responsesError, responsesEvents, responsesObject } from './openai-responses.js';
import { planToolCall } from './plan-tool-call.js';

export interface ModelApiEmulatorOptions {
  /** The conversation played for any credential without a script of its own. */
  script?: ConversationScript;
  /**
   * The text of a side request: one that offers no tools (OpenCode's title,
   * Gemini CLI's JSON checks). It never advances a script.
   */
  sideText?: (call: ModelCall, api: ModelApiKind) => string;
  /** Model ids listed by `GET /v1/models`. */
  models?: string[];
}

interface NamedScript {
  name: string;
  script: ConversationScript;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };

/**
 * A loopback model API that plays scripted conversations in three vendors'
 * wire formats, so the real agent CLIs run against it: Anthropic Messages
 * (Claude Code, OpenCode), OpenAI Responses (Codex) and Gemini (Gemini CLI).
 * Scripts are keyed by the API key the CLI sends, so one emulator can serve
 * several agents at once. Every request is logged, secrets scrubbed.
 */
export class ModelApiEmulator {
  readonly server: EmulatorServer;
  readonly requests: ModelApiRequest[] = [];
  private readonly faults = new ModelFaults();
  private readonly scripts = new Map<string, NamedScript>();
  private readonly stalls = new Set<() => void>();
  private readonly sideText: (call: ModelCall, api: ModelApiKind) => string;
  private readonly models: string[];
  private sideCount = 0;

  constructor(options: ModelApiEmulatorOptions = {}) {
    this.scripts.set('', { name: 'default', script: options.script ?? { turns: [] } });
    this.sideText = options.sideText ?? defaultSideText;
    this.models = options.models ?? ['claude-sonnet-4-5', 'gpt-5.5', 'gemini-2.5-pro'];
    this.server = new EmulatorServer('model-api', (req) => this.handle(req));
  }

  start(port = 0): Promise<string> {
    return this.server.start(port);
  }

  /** Stops listening and lets every stalled request and stream end. */
  async stop(): Promise<void> {
    this.releaseStalls();
    await this.server.stop();
  }

  get url(): string {
    return this.server.url;
  }

  /** `ANTHROPIC_BASE_URL` (the SDK appends `/v1/messages`). */
  get anthropicBaseUrl(): string {
    return this.server.url;
  }

  /** A Codex model provider's `base_url` and OpenCode's openai `baseURL` (both append `/responses`). */
  get openaiBaseUrl(): string {
    return `${this.server.url}/v1`;
  }

  /** `GOOGLE_GEMINI_BASE_URL` (the SDK appends `/v1beta/models/...`). */
  get geminiBaseUrl(): string {
    return this.server.url;
  }

  /** Plays `script` for requests carrying `apiKey`; without a key it replaces the default conversation. */
  setScript(script: ConversationScript, options: { apiKey?: string; name?: string } = {}): void {
    const key = options.apiKey ?? '';
    this.scripts.set(key, { name: options.name ?? (key ? `conversation-${this.scripts.size}` : 'default'), script });
  }

  injectFault(fault: ModelFault): void {
    this.faults.inject(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Ends every stalled request (the client sees the connection close) and stalled stream. */
  releaseStalls(): void {
    for (const release of this.stalls) release();
    this.stalls.clear();
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Requests answered with a scripted turn (not refused or stalled by a fault), optionally of one conversation. */
  turnRequests(conversation?: string): ModelApiRequest[] {
    return this.requests.filter(
      (r) => r.role === 'turn' && r.fault !== 'status' && r.fault !== 'stall' && (conversation === undefined || r.conversation === conversation),
    );
  }

  private async handle(req: EmulatorRequest): Promise<EmulatorResponse> {
    const route = classifyRoute(req.method, req.path);
    const record: ModelApiRequest = {
      at: Date.now(),
      method: req.method,
      path: req.path,
      query: scrubQuery(req.query),
      headers: scrubHeaders(req.headers),
      body: req.body,
      role: 'other',
      ...(route.api ? { api: route.api } : {}),
    };
    this.requests.push(record);
    const response = await this.answer(route, req, record);
    record.outcome ??= response.status;
    return response;
  }

  private async answer(route: ModelRoute, req: EmulatorRequest, record: ModelApiRequest): Promise<EmulatorResponse> {
    const call = readCall(route, req.body);
    // The reply is decided before any fault, so a faulted request is logged with the turn it would have played.
    const reply = call && route.api ? this.reply(route.api, call, req, record) : undefined;
    const picked = this.faults.pick(route.api, req.path, record.role);
    if (picked.delay !== undefined) await this.wait(picked.delay);
    const fault = picked.fault;
    if (fault) record.fault = fault.kind;
    if (fault?.kind === 'stall') {
      record.outcome = 'stalled';
      await this.wait();
      return { status: 504 };
    }
    if (fault?.kind === 'status') return this.errorResponse(route.api, fault.status, fault.message ?? 'Overloaded', fault.retryAfterSeconds);
    if (call && reply && route.api) return this.render(route.api, call, reply, record, fault);

    switch (route.op) {
      case 'probe':
        return { status: 200, body: req.method === 'HEAD' ? undefined : { ok: true } };
      case 'models':
        return { status: 200, body: modelList(this.models) };
      case 'unknown':
        return { status: 404, body: { error: { type: 'not_found_error', message: `model-api emulator: no route for ${req.method} ${req.path}` } } };
      case 'count-tokens':
        return { status: 200, body: route.api === 'gemini' ? geminiTokenCount(req.body) : anthropicTokenCount(req.body) };
      default:
        return { status: 500, body: { error: { message: `model-api emulator: unhandled route ${route.op}` } } };
    }
  }

  private render(api: ModelApiKind, call: ModelCall, reply: ModelReply, record: ModelApiRequest, fault: ModelFault | undefined): EmulatorResponse {
    const createdAt = Math.floor(record.at / 1000);
    const requestId = { 'request-id': `req_${reply.id}`, 'x-request-id': `req_${reply.id}` };
    if (!call.stream) {
      const body = api === 'anthropic' ? anthropicMessage(reply) : api === 'openai' ? responsesObject(reply, createdAt) : geminiResponse(reply);
      if (fault?.kind === 'stall-stream' || fault?.kind === 'cut-stream') return this.streamResponse([JSON.stringify(body)], fault, record, requestId);
      return { status: 200, headers: requestId, body };
    }
    const frames = api === 'anthropic' ? anthropicEvents(reply) : api === 'openai' ? responsesEvents(reply, createdAt) : geminiEvents(reply);
    return this.streamResponse(frames, fault, record, { ...SSE_HEADERS, ...requestId });
  }

  /** Decides the response: a side reply, the scripted turn's text and tool call, or an explanation when no offered tool fits. */
  private reply(api: ModelApiKind, call: ModelCall, req: EmulatorRequest, record: ModelApiRequest): ModelReply {
    const { name, script } = this.scriptFor(req);
    record.conversation = name;
    record.model = call.model;
    record.toolResults = call.toolResults;
    if (call.tools.length === 0) {
      record.role = 'side';
      this.sideCount += 1;
      return { id: `emu_side_${this.sideCount}`, model: call.model, text: this.sideText(call, api), usage: SIDE_USAGE };
    }
    const { turn, index } = pickTurn(script, call.toolResults.length);
    record.role = 'turn';
    record.turn = index;
    const id = `emu_${name.replace(/[^A-Za-z0-9_-]/g, '_')}_${index}`;
    const reply: ModelReply = { id, model: call.model, usage: usageOf(script, turn), ...(turn.text ? { text: turn.text } : {}) };
    if (!turn.tool) return reply;
    const plan = planToolCall(turn.tool, call.tools);
    if (!plan.ok) {
      record.planError = plan.reason;
      return { ...reply, text: `model-api emulator: ${plan.reason}` };
    }
    record.call = plan.call;
    return { ...reply, call: { ...plan.call, callId: api === 'anthropic' ? `toolu_${id}` : `call_${id}` } };
  }

  private scriptFor(req: EmulatorRequest): NamedScript {
    const key = credentialOf(req.headers, req.query);
    return (key !== undefined ? this.scripts.get(key) : undefined) ?? this.scripts.get('')!;
  }

  private streamResponse(frames: string[], fault: ModelFault | undefined, record: ModelApiRequest, headers: Record<string, string>): EmulatorResponse {
    const limit = fault?.kind === 'stall-stream' || fault?.kind === 'cut-stream' ? (fault.afterEvents ?? 1) : frames.length;
    const wait = () => this.wait();
    async function* body(): AsyncGenerator<string> {
      for (const frame of frames.slice(0, limit)) yield frame;
      if (fault?.kind === 'stall-stream') {
        record.outcome = 'stalled-stream';
        await wait();
      } else if (fault?.kind === 'cut-stream') {
        record.outcome = 'cut';
        // Thrown on purpose: the server answers a failing stream by destroying the socket.
        throw new Error('model-api emulator: injected cut');
      }
    }
    return { status: 200, headers, body: body() };
  }

  private errorResponse(api: ModelApiKind | undefined, status: number, message: string, retryAfterSeconds?: number): EmulatorResponse {
    const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
    const body = api === 'openai' ? responsesError(status, message) : api === 'gemini' ? geminiError(status, message) : anthropicError(status, message);
    return { status, headers, body };
  }

  /** Sleeps `ms` (forever when unset) or until the emulator stops or stalls are released. */
  private wait(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.stalls.delete(release);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(release, ms);
      this.stalls.add(release);
    });
  }
}

/** The model call a route carries, in the project's terms; undefined for probes, counts and unknown routes. */
function readCall(route: ModelRoute, body: unknown): ModelCall | undefined {
  if (route.op === 'messages') return readAnthropicCall(body);
  if (route.op === 'responses') return readResponsesCall(body);
  if (route.op === 'generate') return readGeminiCall(route.model, body, route.stream);
  return undefined;
}

/** Gemini CLI asks for JSON in its side checks (e.g. who speaks next); anything else gets a short title-like text. */
function defaultSideText(call: ModelCall): string {
  return call.wantsJson ? JSON.stringify({ reasoning: 'Scripted emulator reply.', next_speaker: 'user' }) : 'Scripted session';
}

/** One list both Anthropic and OpenAI clients accept: each reads its own fields. */
function modelList(models: string[]) {
  return {
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', type: 'model', display_name: id, created: 0, created_at: '2025-01-01T00:00:00Z', owned_by: 'model-api-emulator' })),
    has_more: false,
    first_id: models[0] ?? null,
    last_id: models.at(-1) ?? null,
  };
}
