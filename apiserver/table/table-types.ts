/**
 * The `meta.k8s.io` Table shapes kubectl reads for human-readable output, and the printer contract every
 * resource's column set implements. A printer always produces the wide cells too: the server answers
 * `-o wide` and plain `get` identically and kubectl hides the `priority > 0` columns itself.
 */

import type { KubeObject, ObjectMeta } from '../api-object.js';

/** Column types kubectl understands; it only formats `date` specially. */
export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'date';

/** Every field is always serialised, as upstream does (no omitempty on any of them). */
export interface TableColumnDefinition {
  name: string;
  type: ColumnType;
  /** `name` marks the column kubectl treats as the object's name (`-o name`, `--show-kind`). */
  format: string;
  description: string;
  /** 0 for default output, 1 for columns shown only with `-o wide`. */
  priority: number;
}

export type TableCell = string | number | boolean | null;

export interface TableRowCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: string;
  metadata: ObjectMeta;
}

export interface TableRow {
  cells: TableCell[];
  conditions?: TableRowCondition[];
  object?: KubeObject | PartialObjectMetadata;
}

export type TableVersion = 'v1' | 'v1beta1';

/** What each row's `object` holds (the `includeObject` query parameter). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface Table {
  kind: 'Table';
  apiVersion: `meta.k8s.io/${TableVersion}`;
  metadata: { resourceVersion: string; continue?: string };
  /** `null` on every watch event after the first, as upstream sends it. */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

export interface ResourcePrinter {
  columns: readonly TableColumnDefinition[];
  /** One cell per column, wide columns included, in column order. */
  cells(obj: KubeObject, now: Date): TableCell[];
  conditions?(obj: KubeObject): TableRowCondition[] | undefined;
}

export function column(
  name: string,
  type: ColumnType,
  description: string,
  extra: { priority?: number; format?: string } = {},
): TableColumnDefinition {
  return { name, type, format: extra.format ?? '', description, priority: extra.priority ?? 0 };
}
