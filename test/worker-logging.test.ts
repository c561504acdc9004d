/**
 * The worker's logs carry no activity task token: the SDK's own activity logging (its default log
 * attributes name the token on every line, e.g. the WARN "Activity failed") through the worker's
 * runtime logger. The same activity through the SDK's plain logger shows the token: the control.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { withoutTaskTokens, workerLogger } from '../src/worker/logging.js';

const taskToken = randomBytes(96);
const base64Token = taskToken.toString('base64');

/** Runs a failing activity that also logs through its context, with the worker logged to `lines`. */
async function runActivity(logger: ReturnType<typeof workerLogger>): Promise<void> {
  const env = new MockActivityEnvironment({ taskToken, base64TaskToken: base64Token }, { logger });
  await expect(
    env.run(() => {
      Context.current().log.info('calling TDG');
      throw new Error('TDG answered 503');
    }),
  ).rejects.toThrow(/503/);
}

const serialized = (entries: LogEntry[]): string =>
  JSON.stringify(entries, (_key, value: unknown) =>
    value instanceof Error
      ? { message: value.message, stack: value.stack }
      : typeof value === 'bigint'
        ? String(value)
        : value,
  );

describe("the worker's runtime logger", () => {
  it('logs activity lines without their task token', async () => {
    const entries: LogEntry[] = [];
    await runActivity(workerLogger('TRACE', (entry) => entries.push(entry)));
    const text = serialized(entries);
    expect(entries.map((e) => e.message)).toEqual(expect.arrayContaining(['calling TDG', 'Activity failed']));
    // The activity stays identifiable.
    expect(entries.find((e) => e.message === 'Activity failed')?.meta).toMatchObject({
      activityType: expect.any(String) as unknown,
    });
    expect(text).not.toContain(base64Token);
    expect(text).not.toContain('taskToken');
  });

  it("the SDK's plain logger would have printed it (the control)", async () => {
    const entries: LogEntry[] = [];
    await runActivity(new DefaultLogger('TRACE', (entry) => entries.push(entry)));
    expect(entries.find((e) => e.message === 'Activity failed')?.meta?.taskToken).toBe(base64Token);
    expect(serialized(entries)).toContain(base64Token);
  });

  it('drops token keys at any depth and long base64 runs from messages, and keeps the rest', () => {
    const entries: LogEntry[] = [];
    const logger = withoutTaskTokens(new DefaultLogger('TRACE', (entry) => entries.push(entry)));
    logger.warn(`Got start event for an already running activity: ${base64Token}`, {
      workflowId: 'wf-1',
      nested: { base64TaskToken: base64Token, attempt: 2 },
      task_token: 'x',
    });
    expect(entries[0]?.message).toBe('Got start event for an already running activity: [redacted]');
    expect(entries[0]?.meta).toEqual({ workflowId: 'wf-1', nested: { attempt: 2 } });
  });
});
