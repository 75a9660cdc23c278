import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from '../src/suggest.js';
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

interface ParseArgsError extends Error {
  code?: string;
}

/** The command's options as a person types them: `--wait`, `-w`… */
function optionNames(command: Command): string[] {
  const options = { ...COMMON_OPTIONS, ...command.options };
  return Object.entries(options).flatMap(([name, option]) => [
    `--${name}`,
    ...(option.short ? [`-${option.short}`] : []),
  ]);
}

/**
 * Parses the command's arguments; a mistake becomes a {@link UsageError} in the CLI's own words,
 * with the nearest option for a mistyped one (`--wiat` → `--wait`).
 */
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
    const error = err as ParseArgsError;
    // Node quotes the option: '--wiat', '--format <value>', '-f, --format <value>'.
    const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
    const option = /--[\w-]+/.exec(quoted)?.[0] ?? /-\w/.exec(quoted)?.[0];
    switch (error.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(
          `unknown option ${option ?? '?'}${didYouMean(option ?? '', optionNames(command), { quote: '' })}`,
        );
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        throw new UsageError(
          /does not take an argument/.test(error.message)
            ? `${option} takes no value`
            : `${option} needs a value`,
        );
      default:
        throw new UsageError(error.message);
    }
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

/** At most `names.length` positionals: the ones given (the rest undefined). */
export function optionalPositionals(ctx: CommandContext, names: string[]): (string | undefined)[] {
  if (ctx.positionals.length > names.length) {
    throw new UsageError(`unexpected argument ${ctx.positionals[names.length]}`);
  }
  return names.map((_, i) => ctx.positionals[i]);
}

/** A positive integer option (`--limit 20`), or the default. */
export function intOption(values: Values, name: string, fallback: number, max: number): number {
  const text = str(values, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new UsageError(`--${name} must be a whole number from 1 to ${max}, got ${text}`);
  }
  return value;
}
