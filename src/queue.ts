/** Names shared by the API (producer) and the workers (consumers) of the runs queue. */
export const QUEUE_PREFIX = 'gameday';
export const RUNS_QUEUE = 'runs';
