/**
 * Process supervision for `npm run cluster`, after compose's `restart: unless-stopped`: each
 * long-running process is restarted whenever it exits without having been asked to stop (with a
 * backoff while it keeps crashing), and stopping sends its stop signal, then SIGKILL after a grace
 * period. Output goes to one log file per process; the console gets one line per event.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, realpathSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessSpec {
  name: string;
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  logFile: string;
  /** Run as this user (PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  stopSignal?: NodeJS.Signals;
  stopGraceMs?: number;
  /** Resolves true once the process serves (polled until it does, or the process exits). */
  ready?: () => Promise<boolean>;
  /** Wait before the first restart (doubles while it keeps crashing; default 1 s). */
  restartDelayMs?: number;
  /** Addresses to print, e.g. { frontend: '127.0.0.1:7233' }. */
  endpoints?: Readonly<Record<string, string>>;
}

export interface ProcessView {
  name: string;
  pid: number | null;
  state: 'starting' | 'ready' | 'restarting' | 'stopped';
  restarts: number;
  startedAt: string | null;
  log: string;
  endpoints: Readonly<Record<string, string>>;
  /** Program, arguments and folder (to tell a leftover process from a reused pid). */
  command?: string;
  args?: readonly string[];
  cwd?: string;
}

export type EventLine = (line: string) => void;

const READY_POLL_MS = 250;
const MAX_BACKOFF_MS = 10_000;
/** A process up for this long counts as healthy again: its backoff starts over. */
const STABLE_MS = 30_000;

export class Supervised {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restarts = 0;
  private backoffMs: number;
  private startedAt: number | null = null;
  private state: ProcessView['state'] = 'stopped';
  private exited: Promise<void> = Promise.resolve();
  private readyWaiters: (() => void)[] = [];

  constructor(
    readonly spec: ProcessSpec,
    private readonly say: EventLine,
    private readonly changed: () => void,
  ) {
    this.backoffMs = spec.restartDelayMs ?? 1_000;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  view(): ProcessView {
    return {
      name: this.spec.name,
      pid: this.state === 'stopped' || this.state === 'restarting' ? null : this.pid,
      state: this.state,
      restarts: this.restarts,
      startedAt: this.startedAt === null ? null : new Date(this.startedAt).toISOString(),
      log: this.spec.logFile,
      endpoints: this.spec.endpoints ?? {},
      command: realpathSync(this.spec.command),
      args: this.spec.args,
      cwd: this.spec.cwd,
    };
  }

  /** Starts the process and resolves once it is ready (rejects if it exits before). */
  async start(): Promise<void> {
    this.stopping = false;
    this.launch();
    await this.waitReady();
  }

  private launch(): void {
    const { spec } = this;
    const log = openSync(spec.logFile, 'a');
    writeSync(log, `\n==== ${new Date().toISOString()} starting ${spec.name}\n`);
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...spec.env },
      stdio: ['ignore', log, log],
      // A process group of its own: Ctrl-C reaches the runner only, which stops everything in order.
      detached: true,
      ...(spec.uid === undefined ? {} : { uid: spec.uid }),
      ...(spec.gid === undefined ? {} : { gid: spec.gid }),
    });
    closeSync(log);
    this.child = child;
    this.startedAt = Date.now();
    this.state = 'starting';
    this.changed();
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        this.say(`${spec.name}: could not start ${spec.command}: ${error.message}`);
      });
      child.once('exit', (code, signal) => {
        resolve();
        if (this.child !== child) return;
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (this.stopping) {
          this.state = 'stopped';
          this.changed();
          return;
        }
        const upMs = Date.now() - (this.startedAt ?? Date.now());
        if (upMs > STABLE_MS) this.backoffMs = spec.restartDelayMs ?? 1_000;
        this.restarts++;
        this.state = 'restarting';
        this.changed();
        this.say(
          `${spec.name} exited (${how}); restarting in ${this.backoffMs / 1000}s (restart ${this.restarts}, log ${spec.logFile})`,
        );
        const delay = this.backoffMs;
        this.backoffMs = Math.max(delay, Math.min(this.backoffMs * 2, MAX_BACKOFF_MS));
        void sleep(delay).then(() => {
          if (this.stopping || this.child !== child) return;
          this.launch();
          this.waitReady().then(
            () => this.say(`${spec.name} is back (pid ${this.pid ?? '?'})`),
            () => undefined,
          );
        });
      });
    });
  }

  /** Polls `ready` until it answers true; rejects when the current child exits first. */
  async waitReady(): Promise<void> {
    const child = this.child;
    if (!child) throw new Error(`${this.spec.name} is not running`);
    let gone = false;
    void this.exited.then(() => {
      gone = true;
    });
    for (;;) {
      if (gone || this.child !== child) {
        throw new Error(`${this.spec.name} exited while starting; see ${this.spec.logFile}`);
      }
      if (!this.spec.ready || (await this.spec.ready().catch(() => false))) break;
      await sleep(READY_POLL_MS);
    }
    if (this.child === child && !gone) {
      this.state = 'ready';
      this.changed();
      for (const wake of this.readyWaiters.splice(0)) wake();
    }
  }

  /** Sends a signal to the running process (chaos tests, reloads). */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.state = 'stopped';
      this.changed();
      return;
    }
    child.kill(this.spec.stopSignal ?? 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.spec.stopGraceMs ?? 10_000);
    await this.exited;
    clearTimeout(timer);
    this.state = 'stopped';
    this.changed();
  }
}

/** Runs a one-shot job (compose's `restart: 'no'` services) to completion; its output goes to the log. */
export async function runJob(spec: Omit<ProcessSpec, 'ready'>, timeoutMs: number): Promise<void> {
  const log = openSync(spec.logFile, 'a');
  writeSync(log, `\n==== ${new Date().toISOString()} running ${spec.name}\n`);
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { ...spec.env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, s) => resolve([c, s]));
  });
  clearTimeout(timer);
  if (code !== 0) {
    throw new Error(
      `${spec.name} failed (${signal ? `signal ${signal}` : `exit code ${code}`}); see ${spec.logFile}`,
    );
  }
}
