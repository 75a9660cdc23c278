/**
 * Failpoints, as in etcd's gofail: named places in the code where a test can make the process
 * die, to prove that a crash at exactly that point leaves nothing behind. Inactive unless
 * GAMEDAY_FAILPOINTS is set (`name=action,name=action`); the only action is `sigkill`.
 * Names: `run.<state>` (just after the run entered the state and saved it),
 * `journal.planned` / `journal.applied` (just after a journal entry became durable),
 * `run.final` (just after the final record was saved, before the run left the active set and
 * released its target).
 */
const configured = parse(process.env['GAMEDAY_FAILPOINTS'] ?? '');

function parse(text: string): Map<string, string> {
  const points = new Map<string, string>();
  for (const item of text.split(',')) {
    const [name, action] = item.split('=').map((s) => s.trim());
    if (name && action) points.set(name, action);
  }
  return points;
}

export function failpoint(name: string): void {
  if (configured.size === 0) return;
  if (configured.get(name) === 'sigkill') process.kill(process.pid, 'SIGKILL');
}
