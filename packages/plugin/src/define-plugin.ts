import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  contract,
  parseBatches,
  parseManifest,
  parseStagesRequest,
  type Manifest,
  type Results,
  type StagesRequest,
} from "@batchkit/manifest";
import { writeJsonAtomic } from "./atomic-write.js";
import { errorStatus, PluginError, successStatus } from "./errors.js";
import { createLogger, type Logger } from "./logger.js";

export interface StageContext {
  manifest: Manifest;
  stage: string;
  log: Logger;
  /** Aborted on SIGINT/SIGTERM: long work should stop and let the runner write an error status. */
  signal: AbortSignal;
  /** The working directory: the only place a plugin may write files. */
  cwd: string;
}

export interface StageOutput {
  /** Shown in the plugin's view (not written for the batch stage, whose results hold only status). */
  data?: unknown;
  /** Makes the plugin a batch updating plugin; validated against the contract before it is written. */
  batches?: { maxBatchSize?: number; options?: Record<string, unknown> };
  /** [choice] More stages and their datasets, asked for by the initial stage. */
  stages?: StagesRequest;
}

export type StageHandler = (ctx: StageContext) => Promise<StageOutput | void> | StageOutput | void;

export type StageHandlers = Readonly<Record<string, StageHandler>>;

export interface PluginOptions {
  /** Prefix of log lines; "plugin" by default. */
  name?: string;
  /** Log destination, for tests; stderr by default. */
  logStream?: NodeJS.WritableStream;
}

export interface Plugin {
  readonly name: string;
  readonly stages: readonly string[];
  /**
   * The process boundary: `argv[1]` is the manifest path and `argv[2]` the results path (as in the
   * platform's `main.py manifest.json results.json`). Always writes the results file, atomically, unless
   * it cannot be written at all. Resolves to the exit code: 0 on success, 1 on failure, 2 on bad usage.
   */
  main(argv?: readonly string[]): Promise<number>;
}

const USAGE = "usage: <plugin> manifest.json results.json";

async function readManifest(path: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `cannot be read (${(cause as Error).message})`;
    throw new PluginError({
      code: "MANIFEST_UNREADABLE",
      title: "Manifest not found",
      explanation: `The manifest ${path} ${reason}. Pass the manifest's path as the first argument: ${USAGE}.`,
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new PluginError({
      code: "MANIFEST_NOT_JSON",
      title: "Manifest is not JSON",
      explanation: `The manifest ${path} is not valid JSON (${(cause as Error).message}). Fetch it again from get_manifest/<stage> or the emulator.`,
      cause,
    });
  }
  const parsed = parseManifest(json, { source: path });
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

function resultsOf(stage: string, output: StageOutput | void): Results {
  const results: Results = { status: successStatus() };
  // [doc] A batch stage's results hold only the status.
  if (!output || stage === contract.batchStage) return results;
  if (output.data !== undefined) results.data = output.data;
  if (output.batches !== undefined) {
    const batches = parseBatches(output.batches, { source: "batches" });
    if (!batches.ok) throw batches.error;
    results.batches = batches.value;
  }
  if (output.stages !== undefined) {
    const stages = parseStagesRequest(output.stages, { source: "stages" });
    if (!stages.ok) throw stages.error;
    results.stages = stages.value;
  }
  return results;
}

/** Declares a plugin by its stages: `initial`, any additional stage such as `trainMore`, and `batch`. */
export function definePlugin(handlers: StageHandlers, options: PluginOptions = {}): Plugin {
  const name = options.name ?? "plugin";
  const stages = Object.keys(handlers);

  async function runStage(manifestPath: string, log: Logger, signal: AbortSignal): Promise<Results> {
    const manifest = await readManifest(manifestPath);
    const handler = Object.hasOwn(handlers, manifest.stage) ? handlers[manifest.stage] : undefined;
    if (!handler) {
      throw new PluginError({
        code: "STAGE_UNKNOWN",
        title: "Unknown stage",
        explanation: `The manifest asks for stage ${JSON.stringify(manifest.stage)}, but this plugin has the stages ${stages.map((s) => JSON.stringify(s)).join(", ")}. Check the manifest's "stage" field, or add that stage to definePlugin().`,
      });
    }
    const started = Date.now();
    log.info(`stage ${manifest.stage} started`);
    // Race the handler against the abort signal: a stage that ignores the signal still ends in a status.
    const aborted = new Promise<never>((_resolve, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    const output = await Promise.race([Promise.resolve(handler({ manifest, stage: manifest.stage, log, signal, cwd: process.cwd() })), aborted]);
    signal.throwIfAborted();
    const results = resultsOf(manifest.stage, output);
    log.info(`stage ${manifest.stage} finished`, { seconds: (Date.now() - started) / 1000 });
    return results;
  }

  async function main(argv: readonly string[] = process.argv.slice(1)): Promise<number> {
    const log = createLogger({ name, ...(options.logStream ? { stream: options.logStream } : {}) });
    const manifestPath = argv[1];
    const resultsPath = argv[2];
    if (!manifestPath || !resultsPath) {
      (options.logStream ?? process.stderr).write(`${USAGE}\n  stages: ${stages.join(", ")}\n`);
      return 2;
    }
    const controller = new AbortController();
    const onSignal = (sig: NodeJS.Signals): void => {
      log.warn(`received ${sig}, stopping`);
      controller.abort(new PluginError({ code: "INTERRUPTED", title: "Interrupted", explanation: `The plugin received ${sig} and stopped before the stage finished. Run the stage again.` }));
    };
    // The event loop drained while the stage's promise is still pending: a promise that never settles.
    // Without this, Node would exit with code 0 and no results file.
    const onBeforeExit = (): void => {
      controller.abort(
        new PluginError({
          code: "STAGE_NEVER_FINISHED",
          title: "Stage never finished",
          explanation: "The stage returned a promise that never settled and nothing else was left to run. Check the stage for an await on something that never resolves (a stream without an end, a missing callback).",
        }),
      );
    };
    process.on("SIGINT", onSignal).on("SIGTERM", onSignal).on("beforeExit", onBeforeExit);
    let results: Results;
    try {
      results = await runStage(resolve(manifestPath), log, controller.signal);
    } catch (err) {
      // After an abort, report why it was aborted rather than the AbortError a stage may throw for it.
      const reason = controller.signal.aborted ? controller.signal.reason : err;
      results = { status: errorStatus(reason) };
      log.error(`${results.status.title}: ${results.status.explanation}`);
    } finally {
      process.off("SIGINT", onSignal).off("SIGTERM", onSignal).off("beforeExit", onBeforeExit);
    }
    try {
      await writeJsonAtomic(resolve(resultsPath), results);
    } catch (err) {
      log.error(`cannot write the results file ${resultsPath}: ${(err as Error).message}. Pass a writable path as the second argument.`);
      return 1;
    }
    return results.status.code === contract.successCode ? 0 : 1;
  }

  return { name, stages, main };
}

/** The bin entry point: `runMain(plugin)` runs `plugin.main(process.argv.slice(1))` and sets the exit code. */
export function runMain(plugin: Plugin): void {
  plugin.main(process.argv.slice(1)).then(
    (code) => {
      process.exitCode = code;
      // The results are on disk: leave when the event loop drains, or after a grace period if something
      // (a keep-alive socket, a timer of a stage that ignored the abort) would keep the process alive.
      setTimeout(() => process.exit(code), 1000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`${plugin.name}: unexpected failure: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
