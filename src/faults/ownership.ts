/** How the tool marks what it creates or changes in a cluster, so revert can find and prove it. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'gameday';
export const RUN_ID_LABEL = 'gameday/run-id';
/** On objects the tool patches rather than creates: the run that changed them… */
export const PATCHED_BY_ANNOTATION = 'gameday/run-id';
/** …and the JSON pointers of the fields it changed, as a JSON array. */
export const CHANGED_ANNOTATION = 'gameday/changed';

export function ownershipLabels(runId: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_ID_LABEL]: runId };
}

/** The run that owns an object, or undefined when the tool did not create it. */
export function owningRun(
  metadata: { labels?: Record<string, string> } | undefined,
): string | undefined {
  const labels = metadata?.labels ?? {};
  return labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE ? labels[RUN_ID_LABEL] : undefined;
}
