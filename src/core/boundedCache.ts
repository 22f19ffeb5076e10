/**
 * A map that forgets what was not used lately: per-process memory that does not grow with chats. Two generations
 * instead of a strict LRU: a hit in the young one is a single lookup (an LRU moves the entry on every hit,
 * bench/lineCosts.ts); a hit in the old one moves it to the young one, which counts as an insertion; when the young
 * one holds `capacity` entries it becomes the old one and the old one is dropped. So, as with an LRU of `capacity`,
 * an entry is kept while fewer than `capacity` other insertions follow its last use (callers rely on that: the
 * sends remembered against a second send); the price is up to twice as many entries held.
 */
export class BoundedCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
  }

  get(key: string): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      this.put(key, aged);
    }
    return aged;
  }

  set(key: string, value: V): void {
    this.old.delete(key);
    this.put(key, value);
  }

  delete(key: string): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  private put(key: string, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.capacity) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}
