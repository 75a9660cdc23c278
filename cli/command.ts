import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ApiClient } from './client.js';
import { UsageError } from './errors.js';
import type { Output } from './output.js';

type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  positionals: string[];
  values: Values;
  json: boolean;
  out: Output;
  /** The API client (only commands that call the API ask for it). */
  api(): ApiClient;
}

export interface Command {
  /** `schedule add`, `run`… */
  name: string;
  /** Arguments after the name, for the usage line. */
  usage: string;
  summary: string;
  /** Extra --help text: the options and exit codes. */
  help?: string;
  options?: Options;
  run(ctx: CommandContext): Promise<number>;
}

/** Options every command takes. */
export const COMMON_OPTIONS: Options = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export function parseCommandArgs(
  command: Command,
  args: string[],
): { positionals: string[]; values: Values } {
  try {
    const { positionals, values } = parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    return { positionals, values: values as Values };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function commandHelp(command: Command): string {
  return [
    `usage: gameday ${command.name}${command.usage ? ` ${command.usage}` : ''} [--json]`,
    '',
    command.summary,
    ...(command.help ? ['', command.help.trimEnd()] : []),
  ].join('\n');
}

export const str = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};

export const flag = (values: Values, name: string): boolean => values[name] === true;

/** Exactly `count` positionals, named in the message when missing. */
export function expectPositionals(ctx: CommandContext, names: string[]): string[] {
  if (ctx.positionals.length < names.length) {
    throw new UsageError(`missing ${names.slice(ctx.positionals.length).join(' ')}`);
  }
  if (ctx.positionals.length > names.length) {
    throw new UsageError(`unexpected argument ${ctx.positionals[names.length]}`);
  }
  return ctx.positionals;
}
