/** The seeded job sets the benchmark and chaos runs start: reproducible for a given seed. */
import type { Prng } from '../../../src/platform/prng.js';

export interface PlannedJob {
  index: number;
  /** The job's duration in real time, drawn log-uniform from the range. */
  realMs: number;
  /** What the simulator is told: the real duration divided by the time scale (at least 100 ms). */
  simMs: number;
  batches: number;
}

/** `count` jobs with durations log-uniform in [loMs, hiMs] and 1–8 batches, drawn from `random` in order. */
export function planJobs(
  random: Prng,
  count: number,
  [loMs, hiMs]: readonly [number, number],
  timeScale: number,
): PlannedJob[] {
  return Array.from({ length: count }, (_, index) => {
    const realMs = Math.exp(Math.log(loMs) + random.next() * (Math.log(hiMs) - Math.log(loMs)));
    const batches = 1 + Math.floor(random.next() * 8);
    return {
      index,
      realMs: Math.round(realMs),
      simMs: Math.max(100, Math.round(realMs / timeScale)),
      batches,
    };
  });
}
