/** CPU seconds and resident memory of a process, read from /proc (Linux). */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessUsage {
  /** user + system CPU seconds of the whole process (all threads), from /proc/<pid>/stat. */
  cpuSeconds: number;
  /** Peak resident set size so far (VmHWM), bytes. */
  peakRssBytes: number;
  rssBytes: number;
}

const CLOCK_TICKS = 100; // USER_HZ: 100 on every Linux this runs on

/** CPU and memory of a live process; null once it is gone. */
export function processUsage(pid: number): ProcessUsage | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return {
      cpuSeconds: (utime + stime) / CLOCK_TICKS,
      peakRssBytes: kb('VmHWM') * 1024,
      rssBytes: kb('VmRSS') * 1024,
    };
  } catch {
    return null;
  }
}

/** This process's own usage (simulator, listener and client live here). */
export function selfUsage(): ProcessUsage {
  const cpu = process.cpuUsage();
  const fromProc = processUsage(process.pid);
  return {
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssBytes: fromProc?.peakRssBytes ?? process.resourceUsage().maxRSS * 1024,
    rssBytes: process.memoryUsage().rss,
  };
}

interface StatFields {
  ppid: number;
  /** Own user + system CPU seconds, and those of children it has waited for (cutime + cstime). */
  ownCpuSeconds: number;
  reapedCpuSeconds: number;
}

function statFields(pid: number): StatFields | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(fields[1]),
      ownCpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
      reapedCpuSeconds: (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS,
    };
  } catch {
    return null;
  }
}

/** Proportional set size: shared pages divided among the processes that map them (0 when unreadable). */
function pssBytes(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

function rssBytes(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

export interface TreeUsage {
  /** The root and its live descendants. */
  processes: number;
  /**
   * CPU seconds of the root, its live descendants, and every descendant already reaped (the
   * kernel adds a child's CPU to its parent's cutime/cstime when the parent waits for it:
   * PostgreSQL's exited backends are counted).
   */
  cpuSeconds: number;
  /** Sum of the current RSS of every process in the tree (shared memory counts once per process). */
  rssBytes: number;
  /** Sum of the current PSS (shared memory counted once in all): what the tree really holds. */
  pssBytes: number;
  /** The root's own peak RSS (VmHWM). */
  rootPeakRssBytes: number;
}

/** A process and all its descendants (found through /proc/<pid>/stat's ppid); null once the root is gone. */
export function treeUsage(root: number): TreeUsage | null {
  const rootStat = statFields(root);
  if (!rootStat) return null;
  const children = new Map<number, number[]>();
  const stats = new Map<number, StatFields>([[root, rootStat]]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === root) continue;
    const stat = statFields(pid);
    if (!stat) continue;
    stats.set(pid, stat);
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  const tree: number[] = [];
  for (const queue = [root]; queue.length > 0;) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  let cpuSeconds = 0;
  let rss = 0;
  let pss = 0;
  for (const pid of tree) {
    const stat = stats.get(pid);
    if (stat) cpuSeconds += stat.ownCpuSeconds + stat.reapedCpuSeconds;
    rss += rssBytes(pid).rss;
    pss += pssBytes(pid);
  }
  return {
    processes: tree.length,
    cpuSeconds,
    rssBytes: rss,
    pssBytes: pss,
    rootPeakRssBytes: rssBytes(root).hwm,
  };
}
