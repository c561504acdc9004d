/**
 * The simulator's model of a job: scenario tags in job names, how a job progresses over time,
 * and that one seed gives one run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { progressAt, makePlan } from '../tooling/simulator/jobs.js';
import type { JobCounts } from '../src/contract/index.js';
import { mulberry32 } from '../src/platform/prng.js';
import { parseScenario } from '../tooling/simulator/scenario.js';
import { closeRunning, harness } from './helpers/simulator.js';

afterEach(closeRunning);

describe('scenario tags', () => {
  const defaults = { durationMs: 10_000, batches: 5, outcome: 'COMPLETED', notify: 'changes' } as const;

  it('reads every key, case-insensitively, anywhere in the name', () => {
    expect(
      parseScenario(
        'nightly [SIM Duration=90S BATCHES=7 outcome=failed Checks=40 Notify=TERMINAL] run',
        defaults,
      ),
    ).toEqual({
      durationMs: 90_000,
      batches: 7,
      outcome: 'FAILED',
      checks: 40,
      notify: 'terminal',
    });
    expect(parseScenario('[sim notify=changes]', { ...defaults, notify: 'terminal' })).toMatchObject({
      notify: 'changes',
    });
    expect(parseScenario('[sim createLatency=9s getlatency=250ms]', defaults)).toEqual({
      ...defaults,
      checks: null,
      createLatencyMs: 9_000,
      getLatencyMs: 250,
    });
    expect(parseScenario('[sim batches=0]', defaults)).toEqual({ ...defaults, batches: 0, checks: null });
    expect(parseScenario('[sim]', defaults)).toEqual({ ...defaults, checks: null });
    expect(parseScenario('no tag [simulation] here', defaults)).toEqual({ ...defaults, checks: null });
  });

  it('rejects bad tags with a specific message', () => {
    const cases: Array<[string, RegExp]> = [
      ['[sim duration=soon]', /duration/],
      ['[sim duration=400d]', /366d/],
      ['[sim batches=-1]', /batches "-1"/],
      ['[sim batches=10001]', /batches/],
      ['[sim outcome=MAYBE]', /outcome "MAYBE" must be COMPLETED or FAILED/],
      ['[sim checks=0]', /checks "0"/],
      ['[sim notify=sometimes]', /notify "sometimes" must be changes or terminal/],
      ['[sim notify=]', /notify "" must be changes or terminal/],
      ['[sim colour=red]', /unknown key "colour"/],
      ['[sim createLatency=soon]', /createLatency/],
      ['[sim getLatency=11m]', /getLatency "11m" is longer than 10m/],
      ['[sim batches]', /expected key=value/],
      ['[sim batches=1 batches=2]', /given twice/],
      ['[sim batches=1', /closing/],
      ['[sim] [sim]', /only one tag/],
    ];
    for (const [name, message] of cases) expect(() => parseScenario(name, defaults), name).toThrow(message);
  });
});

describe('progression model', () => {
  it('keeps counters summing to the batch count and work in flight until the end', () => {
    for (const batches of [1, 5, 7, 40]) {
      for (const outcome of ['COMPLETED', 'FAILED'] as const) {
        const plan = makePlan(
          { durationMs: 1, batches, outcome, checks: null, notify: 'changes' },
          mulberry32(batches),
        );
        let previousListed = 0;
        for (let step = 0; step <= 1000; step++) {
          const progress = progressAt(plan, step / 1000);
          const counts: JobCounts = progress.counts;
          const sum =
            counts.waitingForUpload +
            counts.queued +
            counts.inProgress +
            counts.completed +
            counts.failed +
            counts.malformed;
          expect(sum).toBe(batches);
          expect(progress.batchList.length).toBeGreaterThanOrEqual(previousListed);
          previousListed = progress.batchList.length;
          if (progress.state === 'IN_PROGRESS') expect(counts.inProgress).toBeGreaterThan(0);
        }
        const end = progressAt(plan, 1);
        expect(end.state).toBe(outcome);
        expect(end.batchList).toHaveLength(batches);
        if (outcome === 'FAILED') expect(end.counts.failed).toBeGreaterThan(0);
        else expect(end.counts.completed).toBe(batches);
      }
    }
  });
});

describe('determinism', () => {
  async function run(seed: number): Promise<{ ids: string[]; statuses: number[]; tokens: string[] }> {
    const h = harness({ seed });
    const ids: string[] = [];
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { token, jobId } = await h.job({ name: `job ${i}` });
      ids.push(jobId);
      tokens.push(token);
    }
    h.sim.setFaults({ errorRate: 0.3, rateLimitRate: 0.2, malformedRate: 0.2 });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const response = await h.getJob(tokens[0] ?? '', ids[0] ?? '');
      statuses.push(
        response.statusCode * 10 +
          (response.body.startsWith('{"state"') && response.body.endsWith('}') ? 1 : 0),
      );
    }
    return { ids, statuses, tokens };
  }

  it('gives the same job ids, tokens and fault sequence for the same seed', async () => {
    const first = await run(1234);
    const second = await run(1234);
    expect(second).toEqual(first);
    expect(new Set(first.statuses).size).toBeGreaterThan(2);
    const other = await run(4321);
    expect(other.ids).not.toEqual(first.ids);
    expect(other.statuses).not.toEqual(first.statuses);
  });
});
