export type DeliverySource = 'github' | 'linear' | 'jira';

export type DeliveryStatus = 'pending' | 'leased' | 'completed' | 'dead';

/** What a webhook route hands to the inbox before answering 2xx. */
export interface NewDelivery {
  id: string;
  source: DeliverySource;
  event: string;
  payload: unknown;
  receivedAt: string;
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
