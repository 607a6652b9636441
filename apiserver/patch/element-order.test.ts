import { identityOf, normalizeElementOrder, partitionByPresence } from './element-order.js';

const byName = identityOf('name');
const named = (...names: string[]) => names.map((name) => ({ name }));

describe('element order', () => {
  it('identifies objects by merge key and primitives by value', () => {
    expect(byName({ name: 'a', x: 1 })).toBe('a');
    expect(byName({ x: 1 })).toBeUndefined();
    expect(identityOf(undefined)('a')).toBe('a');
  });

  it('partitions items by presence in a reference list', () => {
    expect(partitionByPresence(named('a', 'b', 'c'), named('c', 'a'), byName)).toEqual([
      named('a', 'c'),
      named('b'),
    ]);
  });

  it.each([
    [
      'keeps live order when the patch names one item',
      named('b'),
      named('a', 'c'),
      named('b'),
      named('a', 'b', 'c'),
      ['a', 'b', 'c'],
    ],
    [
      'puts an item the live list lacks before the waiting server items',
      named('d'),
      named('a', 'b'),
      named('d'),
      named('a', 'b'),
      ['d', 'a', 'b'],
    ],
    [
      'follows the patch order for the items it names',
      named('a', 'b'),
      named('s'),
      named('b', 'a'),
      named('a', 'b', 's'),
      ['b', 'a', 's'],
    ],
    [
      'keeps a leading server item in front',
      named('a', 'b'),
      named('s'),
      named('b', 'a'),
      named('s', 'a', 'b'),
      ['s', 'b', 'a'],
    ],
  ])('%s', (_name, patchItems, serverOnly, patchOrder, liveOrder, expected) => {
    expect(
      normalizeElementOrder(patchItems, serverOnly, patchOrder, liveOrder, byName).map(
        (i) => (i as { name: string }).name,
      ),
    ).toEqual(expected);
  });

  it('orders primitives', () => {
    expect(normalizeElementOrder(['a', 'c'], ['b'], ['a', 'c'], ['a', 'b'], identityOf(undefined))).toEqual([
      'a',
      'c',
      'b',
    ]);
  });
});
