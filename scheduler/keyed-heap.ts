/**
 * A binary heap whose items are also addressable by key, so queued pods can be updated or removed in
 * O(log n). `less(a, b)` true means a comes out first. Adding an item whose key is present replaces it.
 */
export class KeyedHeap<T> {
  private readonly items: T[] = [];
  private readonly indexOf = new Map<string, number>();

  constructor(
    private readonly keyOf: (item: T) => string,
    private readonly less: (a: T, b: T) => boolean,
  ) {}

  get size(): number {
    return this.items.length;
  }

  has(key: string): boolean {
    return this.indexOf.has(key);
  }

  get(key: string): T | undefined {
    const index = this.indexOf.get(key);
    return index === undefined ? undefined : this.items[index];
  }

  /** Adds the item, or replaces the item with the same key and restores order. */
  push(item: T): void {
    const key = this.keyOf(item);
    const existing = this.indexOf.get(key);
    if (existing !== undefined) {
      this.items[existing] = item;
      this.fix(existing);
      return;
    }
    this.items.push(item);
    this.indexOf.set(key, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    if (this.items.length === 0) return undefined;
    return this.removeAt(0);
  }

  delete(key: string): T | undefined {
    const index = this.indexOf.get(key);
    return index === undefined ? undefined : this.removeAt(index);
  }

  /** The items in no particular order. */
  list(): T[] {
    return [...this.items];
  }

  private removeAt(index: number): T {
    const item = this.items[index];
    const last = this.items.pop() as T;
    this.indexOf.delete(this.keyOf(item));
    if (index < this.items.length) {
      this.items[index] = last;
      this.indexOf.set(this.keyOf(last), index);
      this.fix(index);
    }
    return item;
  }

  private fix(index: number): void {
    if (!this.up(index)) this.down(index);
  }

  private up(index: number): boolean {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.items[i], this.items[parent])) break;
      this.swap(i, parent);
      i = parent;
    }
    return i !== index;
  }

  private down(index: number): void {
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.items.length && this.less(this.items[left], this.items[smallest])) smallest = left;
      if (right < this.items.length && this.less(this.items[right], this.items[smallest])) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const itemA = this.items[a];
    const itemB = this.items[b];
    this.items[a] = itemB;
    this.items[b] = itemA;
    this.indexOf.set(this.keyOf(itemB), a);
    this.indexOf.set(this.keyOf(itemA), b);
  }
}
