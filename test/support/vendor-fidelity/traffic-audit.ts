import type { EmulatorExchange, EmulatorServer } from '../../../src/sandbox/emulator-server.js';
import { formatMismatch, type ExchangeCheck, type Mismatch } from './check-openapi-exchange.js';

export type ExchangeChecker = (exchange: EmulatorExchange) => ExchangeCheck;

/** A place where the vendor's description contradicts itself or the live API, with the reason it is let through. */
export interface DescriptionDefect {
  /** The operation id, e.g. `apps/list-installations`. */
  operation: string;
  at: RegExp;
  why: string;
}

/**
 * Watches one emulator's real traffic and checks every exchange as it
 * happens: the operations seen (for coverage) and each distinct mismatch.
 * `skip` leaves out the emulator's own routes that no vendor serves (git
 * over HTTP, sandbox helpers).
 */
export class TrafficAudit {
  readonly operations = new Map<string, number>();
  private readonly found = new Map<string, Mismatch>();
  private readonly stop: () => void;
  exchanges = 0;

  constructor(
    server: EmulatorServer,
    check: ExchangeChecker,
    skip: (exchange: EmulatorExchange) => boolean = () => false,
    defects: DescriptionDefect[] = [],
  ) {
    this.stop = server.observe((exchange) => {
      if (skip(exchange)) return;
      this.exchanges += 1;
      const result = check(exchange);
      if (result.operation) this.operations.set(result.operation, (this.operations.get(result.operation) ?? 0) + 1);
      // One line per field, however many list items share it.
      for (const mismatch of result.mismatches) {
        if (defects.some((d) => mismatch.operation.startsWith(`${d.operation} `) && d.at.test(mismatch.at))) continue;
        this.found.set(formatMismatch({ ...mismatch, at: mismatch.at.replace(/\[\d+\]/g, '[]') }), mismatch);
      }
    });
  }

  get mismatches(): string[] {
    return [...this.found.keys()].sort();
  }

  detach(): void {
    this.stop();
  }
}
