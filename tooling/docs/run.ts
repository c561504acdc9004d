/**
 * Runs a page's run blocks, step by step in page order, as a person would type them into one
 * shell: bash, the project root as the working directory, stdout and stderr on one stream in the
 * order they were written, and the environment of a shell that uses the dev stack.
 */
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';
import type { CommandBlock, Step } from './blocks.js';
import { isElision, matches, normaliseLine } from './normalise.js';

export interface StepResult {
  step: Step;
  /** What the command printed, as lines (trailing blank lines dropped). */
  actual: string[];
  ok: boolean;
  ms: number;
}

const STEP_TIMEOUT_MS = 120_000;

/** One command's combined output. */
export function runShell(command: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((done, fail) => {
    // `exec 2>&1`: one stream, so lines keep the order a terminal would show them in.
    const child = spawn('bash', ['-c', `exec 2>&1\n${command}`], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', fail);
    child.once('close', () => {
      clearTimeout(timer);
      done(output);
    });
  });
}

export function outputLines(output: string): string[] {
  const lines = output.replace(/\r/g, '').split('\n');
  while (lines.length > 0 && (lines.at(-1) ?? '').trim() === '') lines.pop();
  return lines;
}

/** Whether a step's output is what the page shows, both sides normalised. */
export function stepMatches(expected: readonly string[], actual: readonly string[]): boolean {
  return matches(
    expected.map((line) => (isElision(line) ? line : normaliseLine(line))),
    actual.map(normaliseLine),
  );
}

export async function runBlock(
  block: CommandBlock,
  env: NodeJS.ProcessEnv,
  onStep?: (result: StepResult) => void,
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of block.steps) {
    const started = Date.now();
    const actual = outputLines(await runShell(step.command, env));
    const result = { step, actual, ok: stepMatches(step.expected, actual), ms: Date.now() - started };
    results.push(result);
    onStep?.(result);
  }
  return results;
}
