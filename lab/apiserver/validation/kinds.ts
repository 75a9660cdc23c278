/** The contract between index.ts and the per-group validator modules. */
import type { KubeObject } from '../types.js';
import type { Findings } from './field.js';
import type { MetaRules } from './meta.js';

export interface ValidationContext {
  operation: 'create' | 'update';
  /** The stored object, on update. */
  old?: KubeObject;
}

export interface KindValidator {
  /** How metadata is checked on create: namespaced or not, and the name syntax. */
  meta: MetaRules;
  /**
   * Top-level fields besides apiVersion/kind/metadata, for built-in kinds (a CRD's schema covers
   * its own); anything else is an unknown field.
   */
  fields?: readonly string[];
  /** Check metadata only when the type's own validation found nothing (core/v1 Event). */
  metaAfterType?: boolean;
  validate(obj: KubeObject, out: Findings, ctx: ValidationContext): void;
}
