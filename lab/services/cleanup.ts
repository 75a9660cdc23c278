import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Last line of defence for crashed or interrupted runs (tests, `npm run lab`): child processes
// nobody stopped are SIGKILLed (and temp dirs removed) when this process goes away. An 'exit'
// handler is not enough: Vitest ends its fork workers with SIGTERM, which skips 'exit'. So
// while there is something to clean up we also intercept SIGTERM/SIGINT/SIGHUP, clean up, and
// re-raise the signal. Everything here must be synchronous.
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
let exitHandlerInstalled = false;
let signalHandlersInstalled = false;
let signalsLeftToCaller = false;

function cleanUpNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  children.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort only.
    }
  }
  tempDirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanUpNow();
  updateSignalHandlers();
  // With our listener gone, the signal's default action (or someone else's handler) applies.
  process.kill(process.pid, signal);
}

function updateSignalHandlers(): void {
  const install = !signalsLeftToCaller && (children.size > 0 || tempDirs.size > 0);
  if (install === signalHandlersInstalled) return;
  signalHandlersInstalled = install;
  for (const signal of SIGNALS) {
    if (install) process.on(signal, onSignal);
    else process.off(signal, onSignal);
  }
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', cleanUpNow);
}

/**
 * For a long-running program (`npm run lab`) that stops its services itself on SIGINT/SIGTERM
 * and then exits: leftovers are still cleaned up at exit, but signals are no longer intercepted.
 */
export function leaveSignalsToCaller(): void {
  signalsLeftToCaller = true;
  updateSignalHandlers();
}

/** Registers a child process to be SIGKILLed if this process ends; returns an unregister. */
export function trackChild(child: ChildProcess): () => void {
  installExitHandler();
  children.add(child);
  updateSignalHandlers();
  return () => {
    children.delete(child);
    updateSignalHandlers();
  };
}

/** Creates a fresh directory under os.tmpdir(), removed by {@link removeTempDir} or at exit. */
export async function makeTempDir(name: string): Promise<string> {
  installExitHandler();
  const dir = await mkdtemp(join(tmpdir(), `gameday-${name}-`));
  tempDirs.add(dir);
  updateSignalHandlers();
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  tempDirs.delete(dir);
  updateSignalHandlers();
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
