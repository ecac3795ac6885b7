/**
 * The developer endpoints a plugin author calls while writing a plugin (platform.md, "Developer endpoints"):
 * prepare the initial dataset, then fetch a manifest for any stage. A data.json uploaded for a developer batch
 * manifest is checked like a real batch's, and the verdict logged.
 */
import { applyDataJson, type BatchSlice, describeSlice } from "./apply-data-json.js";
import { type DatasetRef, INITIAL_KINDS, type Moment, momentOfKey } from "./datasets.js";
import type { Emulator } from "./emulator.js";
import { buildManifest } from "./manifests.js";

/** What a developer session remembers between calls. */
export interface DeveloperSession {
  initial?: Moment;
  /** The slice of the last batch manifest handed out, to check the data.json uploaded for it. */
  batch?: BatchSlice;
  /** The verdict on the last developer batch data.json. */
  lastCheck?: string;
}

export interface Answer {
  status: number;
  body: unknown;
}

/** POST initial_dataset/<kind>: starts building the dataset; 202 while preparing, 200 once ready. */
export function postInitialDataset(emulator: Emulator, kind: string): Answer {
  const moment = INITIAL_KINDS[kind];
  if (moment === undefined) {
    return { status: 400, body: { error: "bad_kind", message: `initial_dataset kind must be one of ${Object.keys(INITIAL_KINDS).join(", ")}` } };
  }
  emulator.developer.initial = moment;
  const ref = emulator.datasets.register("initial", moment);
  const ready = emulator.datasets.isReady(ref);
  void emulator.datasets.file(ref).catch(() => undefined);
  return { status: ready ? 200 : 202, body: { status: ready ? "ready" : "preparing", kind, users: emulator.project.users } };
}

/** GET get_manifest/<stage>: a manifest for local development, or a status while the dataset is prepared. */
export function getManifest(emulator: Emulator, stage: string, query: URLSearchParams): Answer {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stage)) {
    return { status: 400, body: { error: "bad_stage", message: "stage names are letters, digits, _ and -" } };
  }
  const initial = emulator.datasets.register("initial", emulator.developer.initial ?? (INITIAL_KINDS["0_sec"] as Moment));
  if (!emulator.datasets.isReady(initial)) {
    void emulator.datasets.file(initial).catch(() => undefined);
    return {
      status: 202,
      body: { status: "preparing", message: `The initial dataset (${emulator.project.users} users) is being prepared; ask again in a moment.` },
    };
  }
  const refs: DatasetRef[] = [initial];
  const extra = (query.get("datasets") ?? (stage === "initial" || stage === "batch" ? "" : "train_0")).split(",").filter((s) => s !== "");
  if (stage === "batch") extra.push("latest");
  for (const key of extra) {
    const moment = momentOfKey(key);
    if (moment === null) {
      return { status: 400, body: { error: "bad_dataset", message: `dataset key ${JSON.stringify(key)} names no moment (use latest or train_<seconds>)` } };
    }
    refs.push(emulator.datasets.register(key, moment));
  }
  const downloadUrls: Record<string, string> = {};
  // Stages that ran before this one, as far as a developer session can tell: ?downloads= overrides.
  const before = stage === "initial" ? "" : stage === "batch" ? "initial,trainMore" : "initial";
  for (const s of (query.get("downloads") ?? before).split(",").filter((x) => x !== "" && x !== stage)) {
    downloadUrls[s] = emulator.downloadUrl(s);
  }
  let range: { start: number; end: number } | undefined;
  if (stage === "batch") {
    // The first batch of ?maxBatchSize= users (default 10,000).
    const size = Number(query.get("maxBatchSize") ?? 10_000);
    const n = emulator.project.users;
    const end = Number.isFinite(size) && size >= 1 && size < n ? (emulator.project.randoms[Math.floor(size)] as number) : 1;
    range = { start: 0, end };
    emulator.developer.batch = { batch: 1, start: 0, end, lo: 0, hi: emulator.project.lowerBound(end) };
  }
  let options: Record<string, unknown> = {};
  const optionsText = query.get("options");
  if (optionsText !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(optionsText);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return { status: 400, body: { error: "bad_options", message: "options must be a JSON object" } };
    }
    options = parsed as Record<string, unknown>;
  }
  return {
    status: 200,
    body: buildManifest({
      stage,
      baseUrl: emulator.url,
      users: emulator.project.users,
      datasets: refs,
      ...(range === undefined ? {} : { range }),
      downloadUrls,
      uploadUrl: emulator.uploadUrl(stage === "batch" ? "batch/dev" : stage),
      options,
    }),
  };
}

/** Checks a developer batch's uploaded data.json against the slice of the last batch manifest. */
export async function checkDeveloperBatch(emulator: Emulator, file: string): Promise<string> {
  const slice = emulator.developer.batch;
  if (slice === undefined) return "data.json check skipped: no batch manifest was handed out";
  const scores = new Float64Array(emulator.project.users).fill(Number.NaN);
  try {
    const applied = await applyDataJson(file, slice, emulator.project, null, "dev", scores);
    return `data.json check: ok, ${applied.rows} of ${slice.hi - slice.lo} users of ${describeSlice(slice)} scored exactly once (${applied.scoreProperty})`;
  } catch (err) {
    return `data.json check FAILED: ${(err as Error).message}`;
  }
}
