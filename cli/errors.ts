/** Exit codes of `gameday` (documented in its --help). */
export const EXIT = {
  /** Done; for a waited run: completed with verdict pass (or a dry run completed). */
  ok: 0,
  /** The run failed its objectives, was inconclusive, or ended failed/aborted/error. */
  failed: 1,
  /** Bad command line or invalid scenario file. */
  usage: 2,
  /** The API refused the request or could not be reached. */
  api: 3,
} as const;

/** A bad command line: printed with a hint to --help, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A problem+json field error. */
export interface FieldError {
  field: string;
  message: string;
}

/** The API answered with an error status, or could not be reached: exit 3. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}
