/**
 * Hung requests (`hangRate`): accepted, never answered. Each is held until the client gives up (its
 * socket closes), `MAX_HANG_MS` passes, or the simulator closes; the last two drop the connection,
 * so close() never waits for a client that waits for us.
 */
import type { FastifyReply } from 'fastify';
import { MAX_HANG_MS } from './faults.js';

export class HungRequests {
  private readonly held = new Set<() => void>();

  constructor(private readonly maxHangMs = MAX_HANG_MS) {}

  /** Takes the reply over (hijacked: fastify sends nothing) and holds it. */
  hold(reply: FastifyReply): void {
    reply.hijack();
    const raw = reply.raw;
    const forget = (): void => {
      clearTimeout(timer);
      this.held.delete(drop);
    };
    const drop = (): void => {
      forget();
      raw.destroy();
    };
    const timer = setTimeout(drop, this.maxHangMs);
    timer.unref();
    this.held.add(drop);
    raw.once('close', forget);
  }

  get size(): number {
    return this.held.size;
  }

  /** Drops every held connection now. */
  releaseAll(): void {
    for (const drop of [...this.held]) drop();
  }
}
