export type DeliverySource = 'github' | 'linear' | 'jira';

export type DeliveryStatus = 'pending' | 'leased' | 'completed' | 'dead';

/** What a webhook route hands to the inbox before answering 2xx. */
export interface NewDelivery {
  id: string;
  source: DeliverySource;
  event: string;
  /** The parsed payload; may be left unset when `rawPayload` is given. */
  payload: unknown;
  /**
   * The payload exactly as received (the verified request body), when the
   * caller has it: the inbox stores these bytes instead of serialising
   * `payload`. Must be the JSON text of an object (and of `payload`, when that
   * is set too); the inbox keeps the buffer, so the caller must not change it
   * afterwards.
   */
  rawPayload?: Buffer;
  receivedAt: string;
  /**
   * Recognises a replay by content: while `key` (e.g. the body's digest) is
   * remembered — until `expiresAt` — another delivery carrying it is a
   * duplicate whatever its id, and nothing is recorded. For senders whose
   * delivery id an attacker can change but whose signed body they cannot.
   */
  replayKey?: { key: string; expiresAt: string };
}

/**
 * A delivery as the inbox keeps it. The payload is dropped once completed:
 * only the id is needed afterwards, to recognise a redelivery.
 */
export interface InboxDelivery {
  id: string;
  source: DeliverySource;
  event: string;
  payload?: unknown;
  receivedAt: string;
  status: DeliveryStatus;
  attempts: number;
  leaseUntil?: string;
  retryAt?: string;
  lastError?: string;
  completedAt?: string;
}
