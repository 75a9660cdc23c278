/** `gameday`: the command line over the API (see program.ts). */
import { EXIT } from './errors.js';
import { main } from './program.js';

const code = await main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`gameday: internal error: ${(err as Error).stack ?? String(err)}`);
  return EXIT.api;
});
process.exitCode = code;
