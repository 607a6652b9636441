/**
 * Go's text/tabwriter as kubectl uses it, so that columns line up exactly as kubectl's do.
 *
 * Contract: text is written with `\t` ending each cell and `\n` ending each line; `flush` returns the
 * formatted text of every complete line written since the last flush. A column's width is the widest
 * cell of a block of consecutive lines having that column, plus `padding`, at least `minWidth`; the
 * last cell of a line is not a column and is never padded. With `rememberWidths` (kubectl's fork,
 * used by `get --watch`) a column never gets narrower than it was in an earlier flush.
 */

export interface TabWriterOptions {
  minWidth: number;
  padding: number;
  rememberWidths?: boolean;
}

/** `kubectl get` and `kubectl events`: `printers.GetNewTabWriter`. */
export const GET_TABWRITER: TabWriterOptions = { minWidth: 6, padding: 3 };
/** `kubectl describe`: `tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)`. */
export const DESCRIBE_TABWRITER: TabWriterOptions = { minWidth: 0, padding: 2 };

function textWidth(text: string): number {
  return [...text].length;
}

export class TabWriter {
  private pending = '';
  private readonly maxWidths: number[] = [];

  constructor(private readonly options: TabWriterOptions) {}

  write(text: string): void {
    this.pending += text;
  }

  /** Formats and returns every complete line written so far; a partial last line stays pending. */
  flush(): string {
    const end = this.pending.lastIndexOf('\n');
    if (end < 0) return '';
    const text = this.pending.slice(0, end);
    this.pending = this.pending.slice(end + 1);
    const lines = text.split('\n').map((line) => line.split('\t'));
    const out: string[] = [];
    this.format(lines, 0, lines.length, [], out);
    return out.join('');
  }

  private format(lines: string[][], start: number, end: number, widths: number[], out: string[]): void {
    const column = widths.length;
    let line0 = start;
    for (let current = start; current < end; current++) {
      if (column >= lines[current].length - 1) continue;
      // A block of lines that all have a cell in this column starts here.
      this.writeLines(lines, line0, current, widths, out);
      line0 = current;
      let width = this.options.minWidth;
      for (; current < end; current++) {
        const line = lines[current];
        if (column >= line.length - 1) break;
        width = Math.max(width, textWidth(line[column]) + this.options.padding);
      }
      if (this.options.rememberWidths) {
        if (this.maxWidths.length < widths.length) {
          for (let i = this.maxWidths.length; i < widths.length; i++) this.maxWidths.push(widths[i]);
        }
        if (this.maxWidths.length === widths.length) this.maxWidths.push(width);
        else if (this.maxWidths[column] > width) width = this.maxWidths[column];
        else this.maxWidths[column] = width;
      }
      this.format(lines, line0, current, [...widths, width], out);
      line0 = current;
      current--;
    }
    this.writeLines(lines, line0, end, widths, out);
  }

  private writeLines(lines: string[][], start: number, end: number, widths: number[], out: string[]): void {
    for (let i = start; i < end; i++) {
      const cells = lines[i];
      let text = '';
      cells.forEach((cell, j) => {
        text += cell;
        if (j < cells.length - 1 && j < widths.length)
          text += ' '.repeat(Math.max(0, widths[j] - textWidth(cell)));
      });
      out.push(`${text}\n`);
    }
  }
}

/** Formats a whole text at once. */
export function tabulate(text: string, options: TabWriterOptions): string {
  const writer = new TabWriter(options);
  writer.write(text.endsWith('\n') ? text : `${text}\n`);
  return writer.flush();
}
