/**
 * The `gameday` command line over the API, for people and CI pipelines: its commands, help and
 * errors. Human output by default, `--json` for machines; the exit code tells how it went (see
 * {@link EXIT}). cli/main.ts runs it.
 */
import { buildInfo } from '../src/build-info.js';
import { didYouMean } from '../src/suggest.js';
import { scenariosCommand } from './catalogue.js';
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
import { gameDaysCommand, runsCommand } from './lists.js';
import { processOutput, type Output } from './output.js';
import { runCommand } from './run.js';

export const COMMANDS: Command[] = [
  scenariosCommand,
  validateCommand,
  runCommand,
  runsCommand,
  gameDaysCommand,
  statusCommand,
  abortCommand,
  reportCommand,
  trendsCommand,
  scheduleAddCommand,
  scheduleListCommand,
  scheduleRmCommand,
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
    "gameday help <command> (or gameday <command> --help) tells a command's options.",
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

/** What to say for words that name no command: the group's subcommands, or the nearest ones. */
function unknownCommand(argv: string[]): string {
  const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
  if (group.length > 0) {
    const subcommands = group.map((c) => c.name.split(' ')[1]!);
    const typed = argv[1];
    return typed === undefined || typed.startsWith('-')
      ? `gameday ${argv[0]}: expected one of ${subcommands.join(', ')}`
      : `gameday ${argv[0]}: unknown subcommand '${typed}'${didYouMean(typed, subcommands) || `; expected one of ${subcommands.join(', ')}`}`;
  }
  const words = new Set(COMMANDS.map((c) => c.name.split(' ')[0]!));
  return (
    `gameday: unknown command '${argv[0]}'${didYouMean(argv[0]!, words, { prefixes: true })}\n` +
    'Run gameday --help for the commands.'
  );
}

export async function main(argv: string[], out: Output = processOutput()): Promise<number> {
  if (argv.length === 0) {
    out.error(usage());
    return EXIT.usage;
  }
  if (argv[0] === '--version' || argv[0] === '-V') {
    out.line(`gameday ${buildInfo().version}`);
    return EXIT.ok;
  }
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    if (argv.length === 1 || argv[0] !== 'help') {
      out.line(usage());
      return EXIT.ok;
    }
    const topic = findCommand(argv.slice(1));
    if (!topic) {
      out.error(unknownCommand(argv.slice(1)));
      return EXIT.usage;
    }
    out.line(commandHelp(topic.command));
    return EXIT.ok;
  }
  const found = findCommand(argv);
  if (!found) {
    out.error(unknownCommand(argv));
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
      out.error(`gameday ${command.name}: ${err.message}`);
      out.error(
        `usage: ${commandHelp(command)
          .split('\n')[0]!
          .replace(/^usage: /, '')}`,
      );
      return EXIT.usage;
    }
    if (err instanceof ApiError) {
      if (json) {
        out.json({ error: err.message, status: err.status ?? null, errors: err.errors });
      }
      out.error(`gameday ${command.name}: ${err.message}`);
      // Field errors the message does not already say (it names the first one).
      for (const e of err.errors) {
        if (!err.message.includes(`${e.field}: ${e.message}`)) {
          out.error(`  ${e.field}: ${e.message}`);
        }
      }
      return EXIT.api;
    }
    throw err;
  }
}
