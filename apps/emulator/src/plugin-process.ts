/**
 * Runs one plugin process the platform's way: `<command> manifest.json results.json` in its own directory,
 * then reads and validates results.json. Output goes to plugin.log in that directory.
 */
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Manifest, parseResults, redactText, type Results } from "@batchkit/manifest";

/** A shell command line (the manifest and results paths are appended), or an argv array. */
export type PluginCommand = string | readonly string[];

export interface PluginRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /** Peak RSS in bytes, sampled from /proc while the process ran (null where /proc is unavailable). */
  peakRssBytes: number | null;
  results: Results | null;
  /** Why results.json could not be used (missing, not JSON, not the contract). */
  resultsProblem: string | null;
  /** The last lines of the plugin's stderr, URLs redacted. */
  stderrTail: string;
  dir: string;
}

const TAIL_BYTES = 4096;

export function describeCommand(command: PluginCommand): string {
  return typeof command === "string" ? command : command.join(" ");
}

async function sampleRss(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

export async function runPluginProcess(options: {
  command: PluginCommand;
  dir: string;
  manifest: Manifest;
  env?: Record<string, string>;
  signal?: AbortSignal;
}): Promise<PluginRun> {
  const { command, dir, manifest } = options;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const log = createWriteStream(join(dir, "plugin.log"));
  const started = performance.now();
  // With a signal the plugin gets its own process group, so an abort reaches a wrapper's children too
  // (e.g. `/usr/bin/time node main.js`); without one it stays in ours and gets the user's Ctrl-C directly.
  const spawnOptions = {
    cwd: dir,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"] as ["ignore", "pipe", "pipe"],
    detached: options.signal !== undefined,
  };
  // `exec` lets the shell become the plugin, so the pid (and its /proc RSS) is the plugin's own.
  const child =
    typeof command === "string"
      ? spawn("/bin/sh", ["-c", `exec ${command} "$@"`, "sh", "manifest.json", "results.json"], spawnOptions)
      : spawn(command[0] as string, [...command.slice(1), "manifest.json", "results.json"], spawnOptions);
  let tail = Buffer.alloc(0);
  child.stdout.pipe(log, { end: false });
  child.stderr.on("data", (chunk: Buffer) => {
    log.write(chunk);
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > TAIL_BYTES * 2) tail = tail.subarray(tail.length - TAIL_BYTES);
  });
  let peak: number | null = null;
  const sampler = setInterval(() => {
    if (child.pid === undefined) return;
    void sampleRss(child.pid).then((v) => {
      if (v !== null && (peak === null || v > peak)) peak = v;
    });
  }, 100);
  const onAbort = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
    } catch {
      child.kill("SIGTERM");
    }
  };
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once("error", (err) => {
      log.write(`failed to start: ${err.message}\n`);
      resolve([127, null]);
    });
    child.once("close", (code, sig) => resolve([code, sig]));
  });
  clearInterval(sampler);
  options.signal?.removeEventListener("abort", onAbort);
  const wallMs = performance.now() - started;
  await new Promise<void>((resolve) => log.end(resolve));

  let results: Results | null = null;
  let resultsProblem: string | null = null;
  let text: string | null = null;
  try {
    text = await readFile(join(dir, "results.json"), "utf8");
  } catch {
    resultsProblem = "the plugin wrote no results.json";
  }
  if (text !== null) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      resultsProblem = `results.json is not valid JSON (${(err as Error).message})`;
    }
    if (resultsProblem === null) {
      const parsed = parseResults(json, { source: "results.json" });
      if (parsed.ok) results = parsed.value;
      else resultsProblem = parsed.error.message;
    }
  }
  const stderrTail = redactText(tail.subarray(Math.max(0, tail.length - TAIL_BYTES)).toString("utf8")).trim();
  return { exitCode, signal, wallMs, peakRssBytes: peak, results, resultsProblem, stderrTail, dir };
}
