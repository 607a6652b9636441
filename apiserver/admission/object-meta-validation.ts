/**
 * `metadata` rules every kind shares (upstream's ValidateObjectMeta / ValidateObjectMetaUpdate): name
 * and generateName format per kind, namespace presence, labels, annotation keys and total size, owner
 * references, finalizers, and on update the identity fields that may never change.
 */
import type { ObjectMeta } from '../api-object.js';
import { child, fieldError, goLiteral, nonNegative, type FieldCause, invalidFor } from './field-error.js';
import { goQuote, goStringSlice } from './go-format.js';
import { objectAt, objectsAt, stringAt, stringMapAt, stringsAt } from './json-shape.js';
import { validateLabels } from './label-selector.js';
import { isQualifiedName, nameIsDNSLabel, type NameValidator } from './name-rules.js';

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateAnnotations(
  annotations: Record<string, string> | undefined,
  field: string,
): FieldCause[] {
  const errs: FieldCause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    // Annotation keys are qualified names in which case does not matter.
    errs.push(...invalidFor(field, k, isQualifiedName(k.toLowerCase())));
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(fieldError.tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

function validateOwnerReferences(refs: unknown, field: string): FieldCause[] {
  const errs: FieldCause[] = [];
  let firstController = '';
  for (const ref of objectsAt(refs)) {
    const apiVersion = stringAt(ref.apiVersion);
    const version = apiVersion.includes('/') ? apiVersion.split('/')[1] : apiVersion;
    if (!version) {
      errs.push(fieldError.invalid(child(field, 'apiVersion'), apiVersion, 'version must not be empty'));
    }
    if (!stringAt(ref.kind)) {
      errs.push(fieldError.invalid(child(field, 'kind'), stringAt(ref.kind), 'must not be empty'));
    }
    if (!stringAt(ref.name)) {
      errs.push(fieldError.invalid(child(field, 'name'), stringAt(ref.name), 'must not be empty'));
    }
    if (!stringAt(ref.uid)) {
      errs.push(fieldError.invalid(child(field, 'uid'), stringAt(ref.uid), 'must not be empty'));
    }
    if (ref.controller === true) {
      const current = `${stringAt(ref.kind)}/${stringAt(ref.name)}`;
      if (firstController) {
        errs.push(
          fieldError.invalid(
            field,
            `${firstController}, ${current}`,
            'Only one reference can have Controller set to true',
          ),
        );
      } else {
        firstController = current;
      }
    }
  }
  return errs;
}

function validateFinalizers(finalizers: string[], field: string): FieldCause[] {
  const errs: FieldCause[] = [];
  for (const finalizer of finalizers) {
    errs.push(...invalidFor(field, finalizer, isQualifiedName(finalizer)));
  }
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(
      fieldError.invalid(
        field,
        goLiteral(goStringSlice(finalizers)),
        'finalizer orphan and foregroundDeletion cannot be both set',
      ),
    );
  }
  return errs;
}

export interface MetaRules {
  namespaced: boolean;
  validateName: NameValidator;
}

export function validateObjectMeta(
  metadata: ObjectMeta | undefined,
  rules: MetaRules,
  path = 'metadata',
): FieldCause[] {
  const meta = objectAt(metadata) ?? {};
  const errs: FieldCause[] = [];
  const generateName = stringAt(meta.generateName);
  if (generateName) {
    errs.push(
      ...invalidFor(child(path, 'generateName'), generateName, rules.validateName(generateName, true)),
    );
  }
  const name = stringAt(meta.name);
  if (!name) errs.push(fieldError.required(child(path, 'name'), 'name or generateName is required'));
  else errs.push(...invalidFor(child(path, 'name'), name, rules.validateName(name, false)));

  const namespace = stringAt(meta.namespace);
  if (rules.namespaced) {
    if (!namespace) errs.push(fieldError.required(child(path, 'namespace')));
    else errs.push(...invalidFor(child(path, 'namespace'), namespace, nameIsDNSLabel(namespace, false)));
  } else if (namespace) {
    errs.push(fieldError.forbidden(child(path, 'namespace'), 'not allowed on this type'));
  }

  errs.push(
    ...nonNegative(
      typeof meta.generation === 'number' ? meta.generation : undefined,
      child(path, 'generation'),
    ),
  );
  errs.push(...validateLabels(stringMapAt(meta.labels), child(path, 'labels')));
  errs.push(...validateAnnotations(stringMapAt(meta.annotations), child(path, 'annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, child(path, 'ownerReferences')));
  errs.push(...validateFinalizers(stringsAt(meta.finalizers), child(path, 'finalizers')));
  return errs;
}

/**
 * The update-only metadata rules. resourceVersion preconditions are left to the storage layer, which
 * answers them with 409 rather than 422.
 */
export function validateObjectMetaUpdate(
  metadata: ObjectMeta | undefined,
  oldMetadata: ObjectMeta | undefined,
  path = 'metadata',
): FieldCause[] {
  const meta = objectAt(metadata) ?? {};
  const old = objectAt(oldMetadata) ?? {};
  const errs: FieldCause[] = [];
  if (old.deletionTimestamp) {
    const previous = new Set(stringsAt(old.finalizers));
    const added = [...new Set(stringsAt(meta.finalizers).filter((f) => !previous.has(f)))].sort();
    if (added.length) {
      errs.push(
        fieldError.forbidden(
          child(path, 'finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added
            .map(goQuote)
            .join(', ')}}`,
        ),
      );
    }
  }
  const generation = typeof meta.generation === 'number' ? meta.generation : 0;
  const oldGeneration = typeof old.generation === 'number' ? old.generation : 0;
  if (generation < oldGeneration) {
    errs.push(fieldError.invalid(child(path, 'generation'), generation, 'must not be decremented'));
  }
  for (const field of ['name', 'namespace', 'uid'] as const) {
    const value = stringAt(meta[field]);
    // An update that leaves uid out is filled from the stored object before validation upstream.
    if (field === 'uid' && !value) continue;
    if (value !== stringAt(old[field])) {
      errs.push(fieldError.invalid(child(path, field), value, 'field is immutable'));
    }
  }
  return errs;
}
