/** `npm run cluster`'s pure parts: flags, compose interpolation, the port layout. */
import { describe, expect, it } from 'vitest';

import { parseCliArgs, UsageError } from '../tooling/cluster/cli.js';
import { interpolate } from '../tooling/cluster/compose.js';
import { allPorts, MAX_PORT_OFFSET, MAX_SERVERS, MAX_WORKERS, stackPorts } from '../tooling/cluster/ports.js';

describe('npm run cluster flags', () => {
  it('defaults, values, and --help', () => {
    expect(parseCliArgs([])).toMatchObject({
      servers: 1,
      workers: 1,
      reset: false,
      portOffset: 0,
      restartDelayMs: 1_000,
      toolsOnly: false,
    });
    expect(
      parseCliArgs([
        '--servers',
        '2',
        '--workers',
        '3',
        '--reset',
        '--port-offset',
        '100',
        '--restart-delay',
        '15s',
      ]),
    ).toMatchObject({ servers: 2, workers: 3, reset: true, portOffset: 100, restartDelayMs: 15_000 });
    expect(parseCliArgs(['--help'])).toBeUndefined();
    expect(parseCliArgs(['-h'])).toBeUndefined();
  });

  it('rejects bad flags with one line naming the problem', () => {
    const problem = (args: string[]): string => {
      try {
        parseCliArgs(args);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(problem(['--servers', '0'])).toBe('--servers must be an integer from 1 to 9, got "0"');
    expect(problem(['--workers', 'two'])).toBe('--workers must be an integer from 1 to 9, got "two"');
    expect(problem(['--port-offset', '40000'])).toBe(
      '--port-offset must be an integer from 0 to 25000, got "40000"',
    );
    expect(problem(['--restart-delay', '1ms'])).toBe('--restart-delay must be between 100ms and 10m');
    expect(problem(['--bogus'])).toContain("Unknown option '--bogus'");
    expect(problem(['extra'])).toContain('extra');
    for (const message of [problem(['--bogus']), problem(['--restart-delay', 'soon'])]) {
      expect(message).not.toContain('\n');
    }
  });
});

describe('compose interpolation', () => {
  const vars = { SET: 'value', EMPTY: '' };
  it('reads ${X}, ${X:-default}, ${X-default}, ${X:?message} and $$ as compose does', () => {
    expect(interpolate('${SET}/${UNSET}', vars)).toBe('value/');
    expect(interpolate('${SET:-d} ${EMPTY:-d} ${UNSET:-d}', vars)).toBe('value d d');
    expect(interpolate('${EMPTY-d} ${UNSET-d}', vars)).toBe(' d');
    expect(interpolate('$${SET}', vars)).toBe('${SET}');
    expect(interpolate('${SET:?needed}', vars)).toBe('value');
    expect(() => interpolate('${EMPTY:?set EMPTY in .env}', vars)).toThrow('EMPTY: set EMPTY in .env');
  });
});

describe('cluster ports', () => {
  it('never collide, and keep membership ports in a smallint at the largest stack', () => {
    for (const offset of [0, MAX_PORT_OFFSET]) {
      const ports = allPorts(stackPorts(MAX_SERVERS, MAX_WORKERS, offset));
      expect(new Set(ports).size, `offset ${offset}`).toBe(ports.length);
      expect(Math.max(...ports)).toBeLessThan(65_536);
      const membership = stackPorts(MAX_SERVERS, 1, offset).nodes.flatMap((node): number[] =>
        Object.entries<number>({ ...node })
          .filter(([name]) => name.endsWith('_MEMBERSHIP_PORT'))
          .map(([, port]) => port),
      );
      expect(Math.max(...membership)).toBeLessThan(32_768);
    }
    // Node 1 uses the embedded template's defaults, as a single temporalio/server container does.
    expect(stackPorts(1, 1).nodes[0]).toMatchObject({
      FRONTEND_GRPC_PORT: 7233,
      HISTORY_GRPC_PORT: 7234,
      MATCHING_GRPC_PORT: 7235,
      WORKER_GRPC_PORT: 7239,
      FRONTEND_MEMBERSHIP_PORT: 6933,
    });
  });
});
