/** Flags and their BATCHKIT_* environment equivalents; flags win over the environment. */
import { parseArgs } from "node:util";
import { EmulatorError } from "./errors.js";
import { MAX_USERS } from "./demo-project.js";
import type { FaultOptions } from "./faults.js";

export const HELP = `batchkit emulator: a local Stormly stand-in

Usage:
  node dist/cli.js run   [options]   run a plugin's whole lifecycle on the demo project, print the summary
  node dist/cli.js serve [options]   keep the emulator up and print the developer endpoints and keys
  node dist/cli.js query "SQL"       query the user properties store of the work dir (tables runs, user_properties)
  node dist/cli.js --help

Options (environment equivalents in brackets):
  --users N               demo users, up to 10,000,000 (default 100000) [BATCHKIT_USERS]
  --seed N                seed of the demo data (default 42) [BATCHKIT_SEED]
  --max-batch-size N      override the plugin's batches.maxBatchSize [BATCHKIT_MAX_BATCH_SIZE]
  --concurrency N         batch processes at a time (default: cores) [BATCHKIT_CONCURRENCY]
  --plugin "CMD"          plugin command; "manifest.json results.json" are appended
                          (default: node <@batchkit/conversion-prediction>/dist/main.js) [BATCHKIT_PLUGIN];
                          it runs in its stage directory, so relative paths to existing files are made absolute
  --initial-dataset KIND  0_sec | latest | 95_pct (default 0_sec) [BATCHKIT_INITIAL_DATASET]
  --work-dir DIR          datasets, storage, runs and the SQLite store (default ./.emulator) [BATCHKIT_WORK_DIR]
  --keep                  keep datasets, storage and run directories after a successful run [BATCHKIT_KEEP=1]
  --no-store              do not write user properties to SQLite [BATCHKIT_NO_STORE=1]
  --json                  print the summary as JSON on stdout
  --port N                serve: port on 127.0.0.1 (default 4100; 0 = any free port) [BATCHKIT_PORT]
  --project-key K, --dataset-key K   serve: developer keys (default random) [BATCHKIT_PROJECT_KEY, BATCHKIT_DATASET_KEY]

Faults (for testing a plugin's resilience):
  --fault-5xx-rate R      fraction of plugin requests answered 503 [BATCHKIT_FAULT_5XX_RATE]
  --fault-429-rate R      fraction answered 429 with Retry-After [BATCHKIT_FAULT_429_RATE]
  --fault-retry-after S   seconds in Retry-After (default 1) [BATCHKIT_FAULT_RETRY_AFTER]
  --fault-reset-rate R    fraction of bodies whose connection is reset midway [BATCHKIT_FAULT_RESET_RATE]
  --fault-slow-ms MS      stall every body after the headers and midway [BATCHKIT_FAULT_SLOW_MS]
  --fault-expired-urls    the first signed upload URL of every file is already expired [BATCHKIT_FAULT_EXPIRED_URLS=1]
  --fault-duplicate-rows R  fraction of each slice's users served twice [BATCHKIT_FAULT_DUPLICATE_ROWS]
  --fault-seed N          seed of the fault dice (default 1) [BATCHKIT_FAULT_SEED]
`;

export interface CliOptions {
  command: "run" | "serve" | "query" | "help";
  /** query: the SQL text. */
  sql?: string;
  users: number;
  seed: number;
  maxBatchSize?: number;
  concurrency?: number;
  plugin?: string;
  initialDataset?: "0_sec" | "latest" | "95_pct";
  workDir: string;
  keep: boolean;
  store: boolean;
  json: boolean;
  port: number;
  projectKey?: string;
  datasetKey?: string;
  faults: FaultOptions;
}

const FLAGS = {
  users: { type: "string" },
  seed: { type: "string" },
  "max-batch-size": { type: "string" },
  concurrency: { type: "string" },
  plugin: { type: "string" },
  "initial-dataset": { type: "string" },
  "work-dir": { type: "string" },
  keep: { type: "boolean" },
  "no-store": { type: "boolean" },
  json: { type: "boolean" },
  port: { type: "string" },
  "project-key": { type: "string" },
  "dataset-key": { type: "string" },
  "fault-5xx-rate": { type: "string" },
  "fault-429-rate": { type: "string" },
  "fault-retry-after": { type: "string" },
  "fault-reset-rate": { type: "string" },
  "fault-slow-ms": { type: "string" },
  "fault-expired-urls": { type: "boolean" },
  "fault-duplicate-rows": { type: "string" },
  "fault-seed": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function envName(flag: string): string {
  return `BATCHKIT_${flag.replace(/-/g, "_").toUpperCase()}`;
}

export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof FLAGS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: FLAGS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new EmulatorError("EMULATOR_OPTIONS_INVALID", (err as Error).message, { hint: "Run with --help to see the options.", cause: err });
  }
  const { values, positionals } = parsed;
  const str = (flag: keyof typeof FLAGS): string | undefined => {
    const v = (values as Record<string, unknown>)[flag];
    if (typeof v === "string") return v;
    const e = env[envName(flag)];
    return e === undefined || e === "" ? undefined : e;
  };
  const bool = (flag: keyof typeof FLAGS): boolean => {
    if ((values as Record<string, unknown>)[flag] === true) return true;
    const e = env[envName(flag)];
    return e === "1" || e === "true";
  };
  const num = (flag: keyof typeof FLAGS, kind: "int" | "rate" | "nonneg"): number | undefined => {
    const text = str(flag);
    if (text === undefined) return undefined;
    const n = Number(text.replace(/_/g, ""));
    const valid = kind === "int" ? Number.isInteger(n) : kind === "rate" ? n >= 0 && n <= 1 : n >= 0;
    if (text.trim() === "" || !Number.isFinite(n) || !valid) {
      const want = kind === "int" ? "a whole number" : kind === "rate" ? "a fraction in 0..1" : "a number >= 0";
      throw new EmulatorError("EMULATOR_OPTIONS_INVALID", `--${flag} (or ${envName(flag)}) must be ${want}, got ${JSON.stringify(text)}`, {
        hint: "Run with --help to see the options.",
      });
    }
    return n;
  };
  const first = positionals[0];
  const command = values.help === true || first === undefined || first === "help" ? "help" : first;
  if (command !== "run" && command !== "serve" && command !== "query" && command !== "help") {
    throw new EmulatorError("EMULATOR_OPTIONS_INVALID", `unknown command ${JSON.stringify(first)}`, { hint: "Use run, serve, query or --help." });
  }
  if (command === "query" && (positionals[1] === undefined || positionals[1].trim() === "")) {
    throw new EmulatorError("EMULATOR_OPTIONS_INVALID", "query needs the SQL text as its argument", {
      hint: 'Run e.g. node dist/cli.js query "SELECT COUNT(*) FROM user_properties".',
    });
  }
  const initial = str("initial-dataset");
  if (initial !== undefined && initial !== "0_sec" && initial !== "latest" && initial !== "95_pct") {
    throw new EmulatorError("EMULATOR_OPTIONS_INVALID", `--initial-dataset must be 0_sec, latest or 95_pct, got ${JSON.stringify(initial)}`, {
      hint: "Run with --help to see the options.",
    });
  }
  const faults: FaultOptions = {};
  const set = <K extends keyof FaultOptions>(k: K, v: FaultOptions[K] | undefined): void => {
    if (v !== undefined) faults[k] = v;
  };
  set("rate5xx", num("fault-5xx-rate", "rate"));
  set("rate429", num("fault-429-rate", "rate"));
  set("retryAfterSeconds", num("fault-retry-after", "int"));
  set("resetRate", num("fault-reset-rate", "rate"));
  set("slowMs", num("fault-slow-ms", "nonneg"));
  if (bool("fault-expired-urls")) faults.expiredUrls = true;
  set("duplicateRows", num("fault-duplicate-rows", "rate"));
  set("seed", num("fault-seed", "int"));

  const within = (flag: keyof typeof FLAGS, v: number | undefined, lo: number, hi: number): number | undefined => {
    if (v !== undefined && (v < lo || v > hi)) {
      throw new EmulatorError("EMULATOR_OPTIONS_INVALID", `--${flag} (or ${envName(flag)}) must be in ${lo}..${hi}, got ${v}`, {
        hint: "Run with --help to see the options.",
      });
    }
    return v;
  };
  const out: CliOptions = {
    command,
    users: within("users", num("users", "int"), 0, MAX_USERS) ?? 100_000,
    seed: num("seed", "int") ?? 42,
    workDir: str("work-dir") ?? ".emulator",
    keep: bool("keep"),
    store: !bool("no-store"),
    json: bool("json"),
    port: within("port", num("port", "int"), 0, 65535) ?? 4100,
    faults,
  };
  if (command === "query") out.sql = positionals[1] as string;
  const maxBatchSize = within("max-batch-size", num("max-batch-size", "int"), 1, MAX_USERS);
  if (maxBatchSize !== undefined) out.maxBatchSize = maxBatchSize;
  const concurrency = within("concurrency", num("concurrency", "int"), 1, 1024);
  if (concurrency !== undefined) out.concurrency = concurrency;
  const plugin = str("plugin");
  if (plugin !== undefined) out.plugin = plugin;
  if (initial !== undefined) out.initialDataset = initial;
  const pk = str("project-key");
  if (pk !== undefined) out.projectKey = pk;
  const dk = str("dataset-key");
  if (dk !== undefined) out.datasetKey = dk;
  return out;
}
