/**
 * Turns stored objects into the `meta.k8s.io` Table kubectl asks for with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. A list, a single GET and each watch event all
 * go through here; a watch event is a one-row Table whose columnDefinitions are sent with the first
 * event only (`null` afterwards), as upstream does. Each row carries the object's metadata
 * (PartialObjectMetadata) unless told otherwise, because kubectl builds its NAMESPACE column and
 * `--show-labels`/`-L` output from it.
 */

import type { KubeObject, ObjectMeta } from '../api-object.js';
import { printerFor } from './table-columns.js';
import { parseIncludeObject } from './table-request.js';
import type { IncludeObject, PartialObjectMetadata, Table, TableRow, TableVersion } from './table-types.js';

export { parseIncludeObject, wantsTable } from './table-request.js';
export type { IncludeObject, Table, TableVersion } from './table-types.js';

export interface BuildTableOptions {
  /** The list's resourceVersion; for a single GET or a watch event, the object's own. */
  resourceVersion: string;
  continueToken?: string;
  /**
   * `Metadata` (the default, also for `''`) sends PartialObjectMetadata, `Object` the full object
   * (`--sort-by`). Checked again here because callers pass the query parameter through: anything else is
   * a 400, as upstream answers.
   */
  includeObject?: IncludeObject;
  /** Defaults to true; false for every watch event after the first. */
  includeColumnDefinitions?: boolean;
  /** The version negotiated from the Accept header; defaults to v1. */
  tableVersion?: TableVersion;
  /** The clock AGE and "ago" cells are computed against. */
  now: Date;
}

function partialObjectMetadata(obj: KubeObject, apiVersion: string): PartialObjectMetadata {
  // managedFields are bulky and nothing reading a Table needs them.
  const { managedFields: _managedFields, ...metadata }: ObjectMeta = obj.metadata;
  return { kind: 'PartialObjectMetadata', apiVersion, metadata };
}

export function buildTable(resourcePlural: string, objects: KubeObject[], opts: BuildTableOptions): Table {
  const printer = printerFor(resourcePlural);
  const apiVersion = `meta.k8s.io/${opts.tableVersion ?? 'v1'}` as const;
  const includeObject = parseIncludeObject(opts.includeObject);

  const rows = objects.map((obj): TableRow => {
    const row: TableRow = { cells: printer.cells(obj, opts.now) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    if (includeObject === 'Object') row.object = obj;
    else if (includeObject === 'Metadata') row.object = partialObjectMetadata(obj, apiVersion);
    return row;
  });

  const metadata: Table['metadata'] = { resourceVersion: opts.resourceVersion };
  if (opts.continueToken) metadata.continue = opts.continueToken;

  return {
    kind: 'Table',
    apiVersion,
    metadata,
    columnDefinitions:
      opts.includeColumnDefinitions === false ? null : printer.columns.map((c) => ({ ...c })),
    rows,
  };
}
