/**
 * How an emulator delivers its webhooks once sandbox mode connects it to the
 * orchestrator: one POST per event to the configured URL, signed with the
 * configured secret by the vendor's own scheme (the emulator builds the body
 * and headers; see `*-webhook.ts`). Unconnected, nothing is sent, so tests
 * that drive the emulators directly see no traffic they did not ask for.
 */

export interface WebhookDeliveryBuilt {
  /** The exact bytes to POST; the signature covers these. */
  body: string;
  headers: Record<string, string>;
}

export interface SentWebhook {
  event: string;
  /** The orchestrator's answer, or `'failed'` when it could not be reached. */
  status: number | 'failed';
  at: number;
}

/** A webhook endpoint and the secret its deliveries are signed with. */
export interface WebhookTarget {
  url: string;
  secret: string;
}

export class WebhookSender {
  /** Every delivery attempted, newest last (for tests and the emulator pages). */
  readonly sent: SentWebhook[] = [];
  private target: WebhookTarget | undefined;

  constructor(private readonly onFailure: (event: string, reason: string) => void = () => undefined) {}

  connect(target: WebhookTarget): void {
    this.target = target;
  }

  get connected(): boolean {
    return this.target !== undefined;
  }

  /**
   * Builds the delivery with the target's secret and POSTs it; resolves with
   * the answer's status once the receiver acknowledged (the orchestrator
   * records and answers at once), or undefined when not connected.
   */
  async send(event: string, build: (secret: string) => WebhookDeliveryBuilt): Promise<number | 'failed' | undefined> {
    const target = this.target;
    if (!target) return undefined;
    const delivery = build(target.secret);
    let status: number | 'failed';
    try {
      const res = await fetch(target.url, { method: 'POST', headers: delivery.headers, body: delivery.body, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      status = res.status;
      if (!res.ok) this.onFailure(event, `answered ${res.status}`);
    } catch (error) {
      status = 'failed';
      this.onFailure(event, (error as Error).message);
    }
    this.sent.push({ event, status, at: Date.now() });
    return status;
  }
}
