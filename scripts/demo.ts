// `npm run demo`: the full GameDay against the mesh lab. The lab and the run engine are
// being built (see the issue tracker); until they land this says so instead of pretending.
console.error(
  [
    'gameday demo: not built yet.',
    'This command will start Redis, Prometheus, Alertmanager, the mesh lab, the API and a worker,',
    'run the scenario catalogue against the lab and print time to detect / time to recover.',
    'Today it can only run the test suite: npm test',
  ].join('\n'),
);
