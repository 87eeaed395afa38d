import type { Coordination } from './coordination.js';

/**
 * Coordination for a single process (the embedded store): it always holds
 * every lease, and publishing calls this process's subscribers.
 */
export class LocalCoordination implements Coordination {
  readonly failures = undefined;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();

  constructor(
    readonly replicaId = 'local',
    private readonly onHandlerError: (error: unknown) => void = () => undefined,
  ) {}

  acquireLease(): Promise<boolean> {
    return Promise.resolve(true);
  }

  releaseLease(): Promise<void> {
    return Promise.resolve();
  }

  publish(channel: string, payload: string): Promise<void> {
    deliver(this.handlers.get(channel), payload, this.onHandlerError);
    return Promise.resolve();
  }

  subscribe(channel: string, handler: (payload: string) => void): () => void {
    return addHandler(this.handlers, channel, handler);
  }

  open(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.handlers.clear();
    return Promise.resolve();
  }
}

/** Calls each handler; one that throws is reported and does not keep the others from hearing. */
export function deliver(handlers: ReadonlySet<(payload: string) => void> | undefined, payload: string, onError: (error: unknown) => void): void {
  for (const handler of [...(handlers ?? [])]) {
    try {
      handler(payload);
    } catch (error) {
      onError(error);
    }
  }
}

export function addHandler(map: Map<string, Set<(payload: string) => void>>, channel: string, handler: (payload: string) => void): () => void {
  let set = map.get(channel);
  if (!set) {
    set = new Set();
    map.set(channel, set);
  }
  set.add(handler);
  return () => {
    set.delete(handler);
    if (set.size === 0 && map.get(channel) === set) map.delete(channel);
  };
}
