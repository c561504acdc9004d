/**
 * The starter's entry (`npm run job`, the `tdg-job` bin). A person waits for every run, so what
 * needs no Temporal — `--help`, a usage error — is answered from light modules only, and the
 * Temporal client, zod and the rest (`starter.ts`) are loaded only for a command that uses them.
 */
import { invokedAs, parseCommand, usageOf, UsageError, type Command } from './args.js';
import { CliErrorType, ExitCode } from './exit-codes.js';
import type { Output } from './output.js';

/** The process's own stdout and stderr (and the terminal's width for the live line). */
export function processOutput(): Output {
  return {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    progress: {
      isTTY: Boolean(process.stdout.isTTY),
      get columns() {
        return process.stdout.columns;
      },
      write: (text) => void process.stdout.write(text),
    },
  };
}

/** A usage error: with --json the documented error document on stdout, else the message and the usage. */
export function reportUsageError(err: UsageError, json: boolean, io: Output, program: string): number {
  if (json)
    io.out(JSON.stringify({ error: { type: CliErrorType.UsageError, message: err.message } }, null, 2));
  else io.err(`error: ${err.message}\n${usageOf(undefined, program)}`);
  return ExitCode.usage;
}

/** `--help` and usage errors answered (an exit code), or the command to run against Temporal. */
export function answerWithoutTemporal(
  argv: string[],
  io: Output,
  program: string,
): { exitCode: number } | { command: Exclude<Command, { kind: 'help' }> } {
  // Known before parsing, so even a usage error is one JSON document.
  const wantsJson = argv.includes('--json');
  let parsed: Command;
  try {
    parsed = parseCommand(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return { exitCode: reportUsageError(err, wantsJson, io, program) };
  }
  if (parsed.kind !== 'help') return { command: parsed };
  const usage = usageOf(parsed.command, program);
  // --json is a contract: one JSON document on stdout, also for --help.
  io.out(wantsJson ? JSON.stringify({ usage }, null, 2) : usage);
  return { exitCode: ExitCode.ok };
}

export async function main(
  argv: string[] = process.argv.slice(2),
  io: Output = processOutput(),
  /** How it was run, for usage texts and hints (`tdg-job` as the packaged bin). */
  program: string = invokedAs('job'),
): Promise<number> {
  const local = answerWithoutTemporal(argv, io, program);
  if ('exitCode' in local) return local.exitCode;
  const { runParsed } = await import('./starter.js');
  return runParsed(local.command, io, program);
}
