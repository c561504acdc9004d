/**
 * The dev server that tests, `npm start` and the benchmarks run: a port taken between our pick and
 * the server's bind (another process got it) costs a retry on another port, not a failed run.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startDevServer } from '../tooling/stack/dev-server.js';

const blockers: Server[] = [];
afterEach(() => {
  for (const blocker of blockers.splice(0)) blocker.close();
});

async function takenPort(): Promise<number> {
  const blocker = createServer();
  blockers.push(blocker);
  await new Promise<void>((listening) => blocker.listen(0, '127.0.0.1', listening));
  const address = blocker.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('temporal dev server start-up', () => {
  it('starts on another port when the one it picked is taken by the time it binds', async () => {
    const taken = await takenPort();
    const picked: number[] = [];
    const server = await startDevServer({
      uiPort: null,
      pickPort: async () => {
        const port = picked.length === 0 ? taken : await freePort();
        picked.push(port);
        return port;
      },
    });
    try {
      expect(picked).toHaveLength(2);
      expect(server.address).toBe(`127.0.0.1:${picked[1]}`);
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('fails clearly on a port it was told to use when that port is taken', async () => {
    const taken = await takenPort();
    await expect(startDevServer({ uiPort: null, port: taken })).rejects.toThrow(/address already in use/);
  }, 60_000);
});
