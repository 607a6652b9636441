import { KeyedHeap } from './keyed-heap.js';

interface Item {
  key: string;
  rank: number;
}

function heapOf(items: Item[]): KeyedHeap<Item> {
  const heap = new KeyedHeap<Item>(
    (i) => i.key,
    (a, b) => a.rank < b.rank,
  );
  for (const item of items) heap.push(item);
  return heap;
}

function drain(heap: KeyedHeap<Item>): string[] {
  const out: string[] = [];
  for (let item = heap.pop(); item; item = heap.pop()) out.push(item.key);
  return out;
}

describe('KeyedHeap', () => {
  it('pops items in order', () => {
    const heap = heapOf([5, 3, 9, 1, 7, 2].map((rank) => ({ key: `k${rank}`, rank })));
    expect(drain(heap)).toEqual(['k1', 'k2', 'k3', 'k5', 'k7', 'k9']);
  });

  it('replaces an item pushed again under the same key and reorders it', () => {
    const heap = heapOf([
      { key: 'a', rank: 1 },
      { key: 'b', rank: 2 },
      { key: 'c', rank: 3 },
    ]);
    heap.push({ key: 'a', rank: 10 });
    expect(heap.size).toBe(3);
    expect(drain(heap)).toEqual(['b', 'c', 'a']);
  });

  it('deletes by key from the middle without breaking the order', () => {
    const heap = heapOf([4, 8, 1, 6, 3, 9, 2].map((rank) => ({ key: `k${rank}`, rank })));
    expect(heap.delete('k6')?.rank).toBe(6);
    expect(heap.delete('missing')).toBeUndefined();
    expect(heap.has('k6')).toBe(false);
    expect(drain(heap)).toEqual(['k1', 'k2', 'k3', 'k4', 'k8', 'k9']);
  });

  it('finds items by key', () => {
    const heap = heapOf([{ key: 'a', rank: 1 }]);
    expect(heap.get('a')).toEqual({ key: 'a', rank: 1 });
    expect(heap.peek()?.key).toBe('a');
  });
});
