/**
 * Applies one batch's data.json: validates it against the contract (streamed, never parsed whole), checks
 * that every user of the batch's slice appears exactly once, and writes the properties to the store.
 */
import { contract, parseDataJson } from "@batchkit/manifest";
import { DataJsonSyntaxError, readDataJson } from "./data-json-reader.js";
import type { DemoProject } from "./demo-project.js";
import { EmulatorError } from "./errors.js";
import type { PropertyStore } from "./store.js";

export interface BatchSlice {
  /** 1-based batch number, for messages. */
  batch: number;
  /** The `random` range as the manifest carried it. */
  start: number;
  end: number;
  /** The users of the slice: indexes lo..hi-1 of the project. */
  lo: number;
  hi: number;
}

export interface AppliedBatch {
  rows: number;
  category: string | null;
  properties: string[];
  /** The property whose values feed the summary's distribution and AUC. */
  scoreProperty: string;
}

export function describeSlice(s: BatchSlice): string {
  return `batch ${s.batch} [${contract.rangeStartParam}=${s.start}, ${contract.rangeEndParam}=${s.end})`;
}

const VALIDATE_FIRST_ROWS = 1000;

/**
 * `scores[index]` receives the score property's value of each user (NaN where not a number). Rows reach
 * the store chunk by chunk; when a check fails later in the file the caller marks the whole run failed.
 */
export async function applyDataJson(
  file: string,
  slice: BatchSlice,
  project: DemoProject,
  store: PropertyStore | null,
  runId: string,
  scores: Float64Array,
): Promise<AppliedBatch> {
  const where = describeSlice(slice);
  const seen = new Uint8Array(slice.hi - slice.lo);
  let header: { category: string | null; properties: string[]; scoreAt: number } | null = null;
  let rows = 0;

  const fail = (code: "EMULATOR_DATA_JSON_INVALID" | "EMULATOR_USER_NOT_IN_SLICE" | "EMULATOR_USER_DUPLICATE", message: string, hint: string): never => {
    throw new EmulatorError(code, `${where}: ${message}`, { hint, title: code === "EMULATOR_DATA_JSON_INVALID" ? "Invalid data.json" : "Users not scored exactly once" });
  };

  const onRows = (chunk: unknown[], first: number, members: Readonly<Record<string, unknown>>): void => {
    if (header === null) {
      if (!("properties" in members)) {
        fail("EMULATOR_DATA_JSON_INVALID", "data.json has updates before properties", "Write category and properties before updates in data.json (the streaming check needs them first).");
      }
      const checked = parseDataJson({ ...members, updates: chunk.slice(0, VALIDATE_FIRST_ROWS) });
      if (!checked.ok) fail("EMULATOR_DATA_JSON_INVALID", checked.error.message, checked.error.hint);
      const properties = (members["properties"] as string[]).slice();
      const category = typeof members["category"] === "string" ? members["category"] : null;
      const rating = properties.indexOf(contract.predictionProperty);
      header = { category, properties, scoreAt: (rating === -1 ? 0 : rating) + 1 };
    }
    const h = header;
    const width = h.properties.length + 1;
    for (let k = 0; k < chunk.length; k++) {
      const row = chunk[k];
      const at = `updates[${first + k}]`;
      if (!Array.isArray(row) || row.length !== width) {
        fail("EMULATOR_DATA_JSON_INVALID", `${at} must be an array of ${width} elements (user_id and one value per property)`, "Write each update as [user_id, ...one value per property].");
      }
      const r = row as unknown[];
      for (let v = 1; v < width; v++) {
        const value = r[v];
        if (value !== null && typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
          fail("EMULATOR_DATA_JSON_INVALID", `${at}[${v}] must be a string, number, boolean or null`, "Write property values as JSON scalars.");
        }
      }
      const id = r[0];
      const index = project.userIndex(id);
      if (index < slice.lo || index >= slice.hi) {
        fail(
          "EMULATOR_USER_NOT_IN_SLICE",
          `${at}: user ${JSON.stringify(id)} is not a user of this slice`,
          "Only write updates for the users of the batch's own dataset slice.",
        );
      }
      if (seen[index - slice.lo] === 1) {
        fail(
          "EMULATOR_USER_DUPLICATE",
          `${at}: user ${JSON.stringify(id)} appears more than once`,
          "Write one update per user; when the dataset repeats a user, keep the last row.",
        );
      }
      seen[index - slice.lo] = 1;
      const score = r[h.scoreAt];
      scores[index] = typeof score === "number" ? score : Number.NaN;
    }
    store?.insert(runId, h.category, h.properties, chunk as unknown[][]);
    rows += chunk.length;
  };

  let members: Record<string, unknown>;
  let hasUpdates: boolean;
  try {
    ({ members, hasUpdates } = await readDataJson(file, onRows));
  } catch (err) {
    if (err instanceof DataJsonSyntaxError) {
      throw new EmulatorError("EMULATOR_DATA_JSON_INVALID", `${where}: data.json is not valid JSON: ${err.message}`, {
        hint: "Fix the plugin's data.json writer so that it writes one complete JSON object.",
        title: "Invalid data.json",
        cause: err,
      });
    }
    throw err;
  }
  if (header === null) {
    // No rows at all: still validate the document's shape.
    const checked = parseDataJson(hasUpdates ? { ...members, updates: [] } : members);
    if (!checked.ok) fail("EMULATOR_DATA_JSON_INVALID", checked.error.message, checked.error.hint);
    const properties = (members["properties"] as string[]).slice();
    header = { category: typeof members["category"] === "string" ? members["category"] : null, properties, scoreAt: 1 };
  }
  const missing = seen.indexOf(0);
  if (missing !== -1) {
    let count = 0;
    for (let i = 0; i < seen.length; i++) if (seen[i] === 0) count++;
    throw new EmulatorError(
      "EMULATOR_USER_MISSING",
      `${where}: ${count} of ${seen.length} users were not scored, the first is ${JSON.stringify(project.userId(slice.lo + missing))}`,
      { hint: "Write an update for every user of the slice, also for users with missing values.", title: "Users not scored exactly once" },
    );
  }
  const h = header as { category: string | null; properties: string[]; scoreAt: number };
  return { rows, category: h.category, properties: h.properties, scoreProperty: h.properties[h.scoreAt - 1] as string };
}
