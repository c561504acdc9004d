/** CPU seconds and resident memory of a process, read from /proc (Linux). */
import { readFileSync } from 'node:fs';

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
