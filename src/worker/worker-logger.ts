/**
 * The worker's Temporal runtime logger. The SDK logs every workflow that ends by throwing as
 * `Workflow failed` at WARN with the whole error, stack included (some 20 lines). Our workflow
 * ends that way only with an ApplicationFailure it made on purpose, whose stack (where the failure
 * object was created) tells an operator nothing; and its expected endings — TDG reported the job
 * FAILED, the job's own deadline passed — are outcomes, not faults of the worker. So: one line
 * each, INFO for an expected ending, WARN for any other failure; an error of another kind keeps
 * the SDK's entry and its stack.
 */
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { FailureType } from '../contract/index.js';

const SDK_WORKFLOW_FAILED = 'Workflow failed';

/**
 * The workflow's expected endings by their messages (workflows/follow.ts `finish`,
 * workflows/failures.ts `deadlineExceeded`): the error reaches this logger copied out of the
 * workflow's sandbox, which keeps an error's message and stack but not the failure's `type`.
 */
const EXPECTED_ENDINGS: readonly (readonly [RegExp, string])[] = [
  [/^TDG job \S+ FAILED: /, FailureType.JobFailed],
  [/ did not finish by its deadline /, FailureType.JobDeadlineExceeded],
];

/** One line for a deliberate workflow failure: its level and text; null for any other error. */
export function workflowFailureLine(error: unknown): { level: LogLevel; text: string } | null {
  if (typeof error !== 'object' || error === null) return null;
  const { name, message, stack, type } = error as {
    name?: unknown;
    message?: unknown;
    stack?: unknown;
    type?: unknown;
  };
  // The copy's name is plain `Error` (only standard error names survive); its stack still says.
  const deliberate =
    name === 'ApplicationFailure' || (typeof stack === 'string' && stack.startsWith('ApplicationFailure: '));
  if (!deliberate || typeof message !== 'string') return null;
  const firstLine = message.split('\n')[0] ?? '';
  const expected = EXPECTED_ENDINGS.find(([shape]) => shape.test(firstLine))?.[1];
  if (expected) return { level: 'INFO', text: `${expected}: ${firstLine}` };
  return { level: 'WARN', text: `${typeof type === 'string' ? type : 'ApplicationFailure'}: ${firstLine}` };
}

/** Wraps `inner`: the SDK's `Workflow failed` for a deliberate failure becomes one line, no stack. */
export class WorkerLogger implements Logger {
  constructor(private readonly inner: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const line = message === SDK_WORKFLOW_FAILED ? workflowFailureLine(meta?.['error']) : null;
    if (line && meta) {
      // The line alone, no metadata object: the default output prints one over several lines.
      const { workflowId, runId } = meta as { workflowId?: unknown; runId?: unknown };
      this.inner.log(line.level, `Workflow ${String(workflowId)} (run ${String(runId)}) ended: ${line.text}`);
      return;
    }
    this.inner.log(level, message, meta);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
