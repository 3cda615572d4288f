import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

const running = new Set<ManagedProcess>();
let exitHookInstalled = false;

/**
 * Last line of defence inside this process: whatever path ends node (an uncaught error,
 * process.exit), no control-plane process is left behind. Only synchronous work runs here.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const managed of running) managed.killNow();
  });
}

/*
 * A detached shell that outlives node if node is SIGKILLed (tap's timeout, an OOM kill, a
 * closed terminal): it notices the parent is gone and takes the child down with it. Linux's
 * PR_SET_PDEATHSIG would do this in-kernel, but node cannot set it on a child.
 */
const reaperScript = `
parent=$1; child=$2
while kill -0 "$parent" 2>/dev/null; do
  kill -0 "$child" 2>/dev/null || exit 0
  sleep 1
done
kill -TERM "$child" 2>/dev/null
for second in 1 2 3 4 5 6 7 8 9 10; do
  kill -0 "$child" 2>/dev/null || exit 0
  sleep 1
done
kill -KILL "$child" 2>/dev/null
`;

/** One control-plane component: its command line, its log file, and a clean way to stop it. */
export class ManagedProcess {
  readonly name: string;
  readonly command: string;
  readonly logPath: string;
  args: string[];
  #child: ChildProcess | undefined;
  #reaper: ChildProcess | undefined;
  #exited: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  #exitInfo: ExitInfo | undefined;

  constructor(name: string, command: string, args: string[], logPath: string) {
    this.name = name;
    this.command = command;
    this.args = args;
    this.logPath = logPath;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#exitInfo === undefined;
  }

  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  /** Why the process is not running, for error messages; undefined while it runs. */
  describeExit(): string | undefined {
    const info = this.#exitInfo;
    if (info === undefined) return this.#child === undefined ? `${this.name} was never started` : undefined;
    if (info.error !== undefined) return `${this.name} could not start: ${info.error.message}`;
    return info.signal !== null
      ? `${this.name} was killed by ${info.signal}`
      : `${this.name} exited with code ${info.code ?? '?'}`;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    installExitHook();
    // Appending keeps the log of a previous run (before a restart) above the marker.
    const logFd = openSync(this.logPath, 'a');
    writeSync(logFd, `\n=== ${new Date().toISOString()} starting ${this.command} ${this.args.join(' ')}\n`);
    let child: ChildProcess;
    try {
      child = spawn(this.command, this.args, { stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    this.#child = child;
    this.#exitInfo = undefined;
    this.#exited = new Promise((resolve) => {
      child.once('error', (error) => {
        this.#exitInfo = { code: null, signal: null, error };
        resolve(this.#exitInfo);
      });
      child.once('exit', (code, signal) => {
        this.#exitInfo = { code, signal };
        resolve(this.#exitInfo);
      });
    });
    void this.#exited.then(() => {
      running.delete(this);
      this.#stopReaper();
    });
    if (child.pid !== undefined) {
      running.add(this);
      const reaper = spawn('sh', ['-c', reaperScript, 'berth-e2e-reaper', String(process.pid), String(child.pid)], {
        detached: true,
        stdio: 'ignore',
      });
      reaper.on('error', () => undefined);
      reaper.unref();
      this.#reaper = reaper;
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 10_000): Promise<ExitInfo> {
    const child = this.#child;
    if (child === undefined || !this.running) return this.#exited;
    child.kill('SIGTERM');
    const ac = new AbortController();
    const exited = await Promise.race([
      this.#exited.then((info) => info),
      sleep(graceMs, undefined, { signal: ac.signal }).then(
        () => undefined,
        () => undefined,
      ),
    ]);
    ac.abort();
    if (exited !== undefined) return exited;
    child.kill('SIGKILL');
    return this.#exited;
  }

  /** Synchronous SIGKILL, for the process 'exit' hook where nothing can be awaited. */
  killNow(): void {
    if (this.running) this.#child?.kill('SIGKILL');
    this.#stopReaper();
  }

  #stopReaper(): void {
    if (this.#reaper?.exitCode === null) this.#reaper.kill('SIGKILL');
    this.#reaper = undefined;
  }

  /** The last `lines` lines of the log (all runs), for failure reports. */
  tail(lines = 40): string {
    try {
      const text = readFileSync(this.logPath, 'utf8').trimEnd();
      return text.split('\n').slice(-lines).join('\n');
    } catch (error) {
      return `(no log at ${this.logPath}: ${(error as Error).message})`;
    }
  }
}
