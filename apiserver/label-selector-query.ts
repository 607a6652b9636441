/**
 * The `labelSelector` query parameter as the API server reads it: machinery's parser, with its errors
 * turned into the 400 Bad Request upstream answers (`unable to parse requirement: ...`).
 */

import { badRequest } from './api-error.js';
import { LabelSelectorParseError, parseLabelSelector } from '../machinery/label-selector.js';
import type { LabelSelector } from '../machinery/label-selector.js';

export function parseLabelSelectorQuery(text: string | null | undefined): LabelSelector {
  try {
    return parseLabelSelector(text ?? '');
  } catch (error) {
    if (error instanceof LabelSelectorParseError) throw badRequest(error.message);
    throw error;
  }
}
