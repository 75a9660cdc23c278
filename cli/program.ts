/**
 * `gameday`: the command line over the API, for people and CI pipelines. Human output by
 * default, `--json` for machines; the exit code tells how it went (see {@link EXIT}).
 */
import { ApiClient, clientConfigFromEnv } from './client.js';
import { commandHelp, parseCommandArgs, type Command } from './command.js';
import {
  abortCommand,
  haltCommand,
  releaseCommand,
  reportCommand,
  scheduleAddCommand,
  scheduleListCommand,
  scheduleRmCommand,
  statusCommand,
  trendsCommand,
  validateCommand,
} from './commands.js';
import { ApiError, EXIT, UsageError } from './errors.js';
import { processOutput, type Output } from './output.js';
import { runCommand } from './run.js';

export const COMMANDS: Command[] = [
  validateCommand,
  runCommand,
  statusCommand,
  abortCommand,
  reportCommand,
  scheduleAddCommand,
  scheduleListCommand,
  scheduleRmCommand,
  trendsCommand,
  haltCommand,
  releaseCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: gameday <command> [options] [--json] [--help]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'environment: GAMEDAY_API_URL (default http://127.0.0.1:8080), GAMEDAY_TOKEN (API token)',
    'exit codes: 0 ok (a waited run passed); 1 run failed its objectives or did not complete;',
    '            2 usage or invalid scenario; 3 API error or unreachable',
  ].join('\n');
}

/** The command `argv` names (one or two words) and the arguments after it. */
function findCommand(argv: string[]): { command: Command; args: string[] } | undefined {
  const two = `${argv[0]} ${argv[1]}`;
  const byTwo = COMMANDS.find((c) => c.name === two);
  if (byTwo) return { command: byTwo, args: argv.slice(2) };
  const byOne = COMMANDS.find((c) => c.name === argv[0]);
  if (byOne) return { command: byOne, args: argv.slice(1) };
  return undefined;
}

export async function main(argv: string[], out: Output = processOutput()): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    (argv.length === 0 ? out.error : out.line)(usage());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
    out.error(
      group.length > 0
        ? `gameday ${argv[0]}: expected one of ${group.map((c) => c.name.split(' ')[1]).join(', ')}`
        : `gameday: unknown command ${argv[0]}\n\n${usage()}`,
    );
    return EXIT.usage;
  }
  const { command, args } = found;
  let json = args.includes('--json');
  try {
    const { positionals, values } = parseCommandArgs(command, args);
    if (values['help'] === true) {
      out.line(commandHelp(command));
      return EXIT.ok;
    }
    json = values['json'] === true;
    let client: ApiClient | undefined;
    return await command.run({
      positionals,
      values,
      json,
      out,
      api: () => (client ??= new ApiClient(clientConfigFromEnv())),
    });
  } catch (err) {
    if (err instanceof UsageError) {
      out.error(`gameday ${command.name}: ${err.message}\n${commandHelp(command).split('\n')[0]}`);
      return EXIT.usage;
    }
    if (err instanceof ApiError) {
      if (json) {
        out.json({ error: err.message, status: err.status ?? null, errors: err.errors });
      }
      out.error(`gameday ${command.name}: ${err.message}`);
      for (const e of err.errors) out.error(`  ${e.field}: ${e.message}`);
      return EXIT.api;
    }
    throw err;
  }
}

const code = await main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`gameday: internal error: ${(err as Error).stack ?? String(err)}`);
  return EXIT.api;
});
process.exitCode = code;
