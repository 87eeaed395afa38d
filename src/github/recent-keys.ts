/**
 * A bounded set of recently seen keys (oldest evicted first). It only saves
 * work: forgetting a key (eviction, restart) costs a few API calls, never a
 * second run, because the store's claim keys are what deduplicate.
 */
export class RecentKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
  }
}
