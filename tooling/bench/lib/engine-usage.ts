/**
 * What the engine itself costs during a run: CPU seconds and peak RSS of the Temporal dev server,
 * or of the cluster's temporal-server processes and PostgreSQL's process tree (the postmaster and
 * its backends, summed). Sampled every second, so a process the supervisor restarts keeps counting.
 */
import { treeUsage } from './process-usage.js';

export interface EngineProcessGroup {
  /** dev-server, temporal-1, postgresql … */
  name: string;
  /** The root process's current pid (null while it is down). */
  pid(): number | null;
}

export interface EngineProcessUsage {
  name: string;
  /** Most processes seen in the group's tree at once. */
  processes: number;
  /** CPU seconds between start() and stop(), the tree's reaped children included. */
  cpuSeconds: number;
  /** Largest of the root's VmHWM and the sampled sum of the tree's RSS. */
  peakRssMiB: number;
  /**
   * Largest sampled sum of the tree's PSS: for PostgreSQL the fairer figure, as every backend's RSS
   * counts the shared buffers it touched again.
   */
  peakPssMiB: number;
}

interface GroupState {
  group: EngineProcessGroup;
  pid: number | null;
  baseCpu: number;
  lastCpu: number;
  carriedCpu: number;
  processes: number;
  peakRssBytes: number;
  peakPssBytes: number;
}

const round = (value: number, places: number): number => Math.round(value * 10 ** places) / 10 ** places;

export class EngineMonitor {
  private readonly states: GroupState[];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    groups: readonly EngineProcessGroup[],
    private readonly intervalMs = 1_000,
  ) {
    this.states = groups.map((group) => ({
      group,
      pid: null,
      baseCpu: 0,
      lastCpu: 0,
      carriedCpu: 0,
      processes: 0,
      peakRssBytes: 0,
      peakPssBytes: 0,
    }));
  }

  /** CPU is counted from here; peak RSS is each process's whole life. */
  start(): void {
    for (const state of this.states) this.sample(state, true);
    this.timer = setInterval(() => {
      for (const state of this.states) this.sample(state, false);
    }, this.intervalMs);
    this.timer.unref();
  }

  private sample(state: GroupState, first: boolean): void {
    const pid = state.group.pid();
    if (pid === null) return;
    const usage = treeUsage(pid);
    if (!usage) return;
    if (pid !== state.pid) {
      // A new process (a restart): what the old one used is kept; the new one counts from its start.
      state.carriedCpu += state.lastCpu - state.baseCpu;
      state.baseCpu = first ? usage.cpuSeconds : 0;
      state.pid = pid;
    }
    state.lastCpu = usage.cpuSeconds;
    state.processes = Math.max(state.processes, usage.processes);
    state.peakRssBytes = Math.max(state.peakRssBytes, usage.rootPeakRssBytes, usage.rssBytes);
    state.peakPssBytes = Math.max(state.peakPssBytes, usage.pssBytes);
  }

  stop(): EngineProcessUsage[] {
    clearInterval(this.timer);
    return this.states.map((state) => {
      this.sample(state, false);
      return {
        name: state.group.name,
        processes: state.processes,
        cpuSeconds: round(state.carriedCpu + state.lastCpu - state.baseCpu, 1),
        peakRssMiB: Math.round(state.peakRssBytes / 2 ** 20),
        peakPssMiB: Math.round(state.peakPssBytes / 2 ** 20),
      };
    });
  }
}
