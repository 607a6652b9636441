import { DESCRIBE_TABWRITER, GET_TABWRITER, TabWriter, tabulate } from './tab-writer.js';

describe('TabWriter', () => {
  it('pads each column to its widest cell plus the padding, never the last cell', () => {
    expect(tabulate('NAME\tREADY\tAGE\nweb-1\t1/1\t5s\n', GET_TABWRITER)).toBe(
      'NAME    READY   AGE\nweb-1   1/1     5s\n',
    );
  });

  it('gives narrow columns the minimum width', () => {
    expect(tabulate('A\tB\nx\ty\n', GET_TABWRITER)).toBe('A     B\nx     y\n');
  });

  it('aligns only consecutive lines that share a column, as describe output relies on', () => {
    // A line without a tab ends a block: `IP:` aligns with `Controlled By:`, not with `Name:`.
    const text = 'Name:\tweb\nNamespace:\tdefault\nIPs:\n  IP:\t10.0.0.1\nControlled By:\tReplicaSet/web\n';
    expect(tabulate(text, DESCRIBE_TABWRITER)).toBe(
      'Name:       web\nNamespace:  default\nIPs:\n  IP:           10.0.0.1\nControlled By:  ReplicaSet/web\n',
    );
  });

  it('aligns an inner column only within runs of lines that have it', () => {
    expect(tabulate('a\tb\tc\nlonger\tb\nx\tyy\tz\n', { minWidth: 0, padding: 1 })).toBe(
      'a      b c\nlonger b\nx      yy z\n',
    );
  });

  it('remembers widths across flushes when told to, as get --watch prints', () => {
    const writer = new TabWriter({ ...GET_TABWRITER, rememberWidths: true });
    writer.write('NAME\tAGE\nlong-pod-name\t1s\n');
    expect(writer.flush()).toBe('NAME            AGE\nlong-pod-name   1s\n');
    writer.write('a\t2s\n');
    expect(writer.flush()).toBe('a               2s\n');
  });

  it('forgets widths between flushes by default and keeps a partial line pending', () => {
    const writer = new TabWriter(GET_TABWRITER);
    writer.write('long-pod-name\t1s\npartial');
    expect(writer.flush()).toBe('long-pod-name   1s\n');
    writer.write('\tx\n');
    expect(writer.flush()).toBe('partial   x\n');
  });
});
