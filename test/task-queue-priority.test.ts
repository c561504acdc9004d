/**
 * The dev server hands out activity tasks by priority (the cluster's temporal-server is checked the
 * same way in test/cluster): a person's createJob or manual check is not queued behind the fleet's
 * polls. Negative control: a dev server told to use the old matcher hands out the oldest first.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../tooling/stack/dev-server.js';
import { BACKGROUND, INTERACTIVE, priorityDispatchOrder } from './helpers/priority-order.js';

const interactive = INTERACTIVE.map((a) => a.label).sort();
const cleanUps: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanUp of cleanUps.reverse()) await cleanUp();
});

async function orderOn(address: string): Promise<string[]> {
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  cleanUps.push(
    () => connection.close(),
    () => native.close(),
  );
  const client = new Client({ connection, namespace: 'default' });
  const order = await priorityDispatchOrder({ client, connection: native, namespace: 'default' });
  process.stdout.write(`[priority] ${address}: ${order.join(', ')}\n`);
  return order;
}

describe('task-queue priority on the dev server', () => {
  it('hands out the interactive activities before the background ones scheduled earlier', async () => {
    const order = await orderOn(inject('temporalAddress'));
    expect(order).toHaveLength(BACKGROUND.length + INTERACTIVE.length);
    expect(order.slice(0, INTERACTIVE.length).sort()).toEqual(interactive);
  }, 30_000);

  it('negative control: with the old matcher the oldest background activity goes first', async () => {
    const server: DevServer = await startDevServer({
      uiPort: null,
      dynamicConfig: { 'matching.useNewMatcher': false },
    });
    cleanUps.unshift(() => server.stop());
    const order = await orderOn(server.address);
    expect(order.slice(0, INTERACTIVE.length).sort()).not.toEqual(interactive);
  }, 60_000);
});
