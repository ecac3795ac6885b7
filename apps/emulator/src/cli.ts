#!/usr/bin/env node
/**
 * The emulator's command line: `run` (the whole lifecycle of a plugin on the demo project, then the summary)
 * and `serve` (keep the emulator up for a plugin author's own manifests).
 */
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { parseCli, HELP } from "./cli-options.js";
import { defaultPluginCommand } from "./default-plugin.js";
import { Emulator } from "./emulator.js";
import { EmulatorError } from "./errors.js";
import { ProgressBar } from "./progress.js";
import { PropertyStore, STORE_FILE } from "./store.js";
import { runLifecycle } from "./run-loop.js";
import { formatSummary } from "./summary.js";

function printError(err: unknown): void {
  if (err instanceof EmulatorError) {
    const title = err.title === err.code ? "" : ` ${err.title}`;
    process.stderr.write(`\nerror ${err.code}:${title}\n${err.message}\nhint: ${err.hint}\n`);
  } else {
    process.stderr.write(`\nerror: ${(err as Error).stack ?? String(err)}\n`);
  }
}

/**
 * Plugins run inside their stage directory, so a relative path in the command (`node dist/main.js`) would
 * point nowhere: words that name an existing file or folder from here become absolute.
 */
export function absolutizeCommand(command: string, cwd: string = process.cwd()): string {
  return command
    .split(/(\s+)/)
    .map((word) => {
      if (word.trim() === "" || word.startsWith("-") || isAbsolute(word) || !/[/.]/.test(word)) return word;
      const full = resolve(cwd, word);
      return existsSync(full) ? JSON.stringify(full) : word;
    })
    .join("");
}

async function run(argv: readonly string[]): Promise<number> {
  const o = parseCli(argv);
  if (o.command === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const workDir = resolve(o.workDir);
  if (o.command === "query") {
    const path = join(workDir, STORE_FILE);
    if (!existsSync(path)) {
      throw new EmulatorError("EMULATOR_OPTIONS_INVALID", `no user properties store at ${path}`, {
        hint: "Run the lifecycle first (node dist/cli.js run), or pass the --work-dir it used.",
      });
    }
    const store = new PropertyStore(path);
    try {
      for (const row of store.query(o.sql as string)) process.stdout.write(`${JSON.stringify(row)}\n`);
    } finally {
      store.close();
    }
    return 0;
  }
  await mkdir(workDir, { recursive: true });

  if (o.command === "serve") {
    const emulator = await Emulator.start({
      users: o.users,
      seed: o.seed,
      port: o.port,
      workDir,
      faults: o.faults,
      // One line per request on stderr, signed query strings cut (redactUrl).
      log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`),
      ...(o.projectKey === undefined ? {} : { projectKey: o.projectKey }),
      ...(o.datasetKey === undefined ? {} : { datasetKey: o.datasetKey }),
    });
    const h = `-H 'X-Project-Key: ${emulator.keys.projectKey}' -H 'X-Dataset-Key: ${emulator.keys.datasetKey}'`;
    process.stdout.write(
      [
        `emulator listening on ${emulator.url} (${o.users.toLocaleString("en-US")} demo users, seed ${o.seed}, faults: ${emulator.faults.describe()})`,
        `  X-Project-Key: ${emulator.keys.projectKey}`,
        `  X-Dataset-Key: ${emulator.keys.datasetKey}`,
        "",
        `  curl -X POST ${emulator.url}/api/developer/initial_dataset/0_sec ${h}`,
        `  curl ${emulator.url}/api/developer/get_manifest/initial ${h} > manifest.json`,
        `  curl '${emulator.url}/api/developer/get_manifest/trainMore?datasets=train_0' ${h} > trainMore-manifest.json`,
        `  curl '${emulator.url}/api/developer/get_manifest/batch?maxBatchSize=10000&options=%7B%7D' ${h} > batch-manifest.json`,
        "",
        "A data.json uploaded through the batch manifest's getUploadUrls.batch is checked; the verdict shows here.",
        `work dir: ${workDir}. Ctrl-C stops.`,
        "",
      ].join("\n"),
    );
    await new Promise<void>((done) => {
      const stop = (): void => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        void emulator.stop().then(done);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    return 0;
  }

  const plugin = o.plugin === undefined ? defaultPluginCommand() : absolutizeCommand(o.plugin);
  const bar = new ProgressBar(process.stderr);
  process.stderr.write(`emulator: ${o.users.toLocaleString("en-US")} demo users (seed ${o.seed}), work dir ${workDir}\n`);
  const result = await runLifecycle({
    plugin,
    users: o.users,
    seed: o.seed,
    workDir,
    faults: o.faults,
    store: o.store,
    ...(o.maxBatchSize === undefined ? {} : { maxBatchSize: o.maxBatchSize }),
    ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
    ...(o.initialDataset === undefined ? {} : { initialDataset: o.initialDataset }),
    onStage: (line) => process.stderr.write(`${line}\n`),
    onProgress: (p) => bar.update(p),
  });
  if (result.summary !== null) {
    process.stdout.write(o.json ? `${JSON.stringify(result.summary, null, 2)}\n` : `\n${formatSummary(result.summary)}\n`);
  }
  if (!result.ok) {
    printError(result.error);
    process.stderr.write(`run directory kept for inspection: ${join(workDir, "runs", result.runId)}\n`);
    return 1;
  }
  if (!o.keep) {
    // The store stays (it is what a user queries); the bulky parts go.
    await Promise.all(["datasets", "storage", "runs"].map((d) => rm(join(workDir, d), { recursive: true, force: true })));
  }
  return 0;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    printError(err);
    process.exitCode = 1;
  },
);
