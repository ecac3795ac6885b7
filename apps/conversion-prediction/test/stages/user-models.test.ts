import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDataJson } from "@batchkit/manifest";
import { cleanRun, runStage } from "../helpers/plugin-run.js";
import { startStormlyServer, type StormlyServer } from "../helpers/stormly-server.js";
import { datasetBody, syntheticRows, type Row } from "../helpers/synthetic-data.js";
import {
  expectedProbability,
  logitModel,
  probabilityModel,
  skl2onnxModel,
  skl2onnxZipMapModel,
  threeClassModel,
  twoClassModel,
  type LinearSpec,
} from "../helpers/test-models.js";

// A model trained elsewhere on three numeric columns; the user sets options.features and fill.
const spec: LinearSpec = { weights: [0.15, 0.04, -0.5], bias: -2.5 };
const columns = ["feature_sessions", "feature_age", "feature_noise"];
const columnIndex = { feature_sessions: 9, feature_age: 10, feature_noise: 13 } as const;
const fill = -1;

let server: StormlyServer;
const rows: Row[] = syntheticRows({ users: 300, seed: 31, idPrefix: "own" });

function expected(row: Row): number {
  const inputs = columns.map((c) => {
    const v = row[columnIndex[c as keyof typeof columnIndex]];
    return typeof v === "number" ? Math.fround(v) : fill;
  });
  return expectedProbability(spec, inputs);
}

async function scoreWith(model: Uint8Array, path: string, options: Record<string, unknown> = {}) {
  await server.putFile("trainMore", path, model);
  const before = server.uploads().filter((u) => u === "batch/data.json").length;
  const run = await runStage({
    stage: "batch",
    dataUrls: { latest: server.dataUrl("slice", "range_start_gt_or_eq=0&range_end_lt=1") },
    downloadUrls: { trainMore: server.downloadUrl("trainMore") },
    getUploadUrls: { batch: server.uploadUrl("batch") },
    options: { model: path, features: columns, fill, ...options },
  });
  await cleanRun(run);
  const uploaded = server.uploads().filter((u) => u === "batch/data.json").length > before;
  return { run, uploaded };
}

async function uploadedScores(): Promise<Map<string | number, number>> {
  const parsed = parseDataJson(JSON.parse((await server.readStored("batch", "data.json")).toString("utf8")));
  if (!parsed.ok) throw parsed.error;
  return new Map(parsed.value.updates.map((update) => [update[0] as string | number, update[1] as number]));
}

beforeAll(async () => {
  server = await startStormlyServer();
  server.setDataset("slice", datasetBody(rows));
});

afterAll(async () => {
  await server?.close();
});

describe("batch stage with a model the user brings", () => {
  const layouts: [string, () => Uint8Array, Record<string, unknown>][] = [
    ["[N, 1] probability", () => probabilityModel(spec), {}],
    ["[N, 1] with a dynamic feature dimension", () => probabilityModel(spec, { dynamicFeatures: true }), {}],
    ["[N, 2] class probabilities", () => twoClassModel(spec), {}],
    ["[N, 2] with positiveClass 0", () => twoClassModel(spec, { swapped: true }), { positiveClass: 0 }],
    ["skl2onnx label + probabilities", () => skl2onnxModel(spec), {}],
    ["skl2onnx default with ZipMap", () => skl2onnxZipMapModel(spec), {}],
  ];
  for (const [name, build, options] of layouts) {
    it(`scores a ${name} model`, async () => {
      const { run, uploaded } = await scoreWith(build(), "own/model.onnx", options);
      expect(run.results.status.code).toBe("success");
      expect(uploaded).toBe(true);
      const scores = await uploadedScores();
      expect(scores.size).toBe(rows.length);
      for (const row of rows) expect(scores.get(row[0] as string)).toBeCloseTo(expected(row), 5);
    });
  }

  it("refuses a three-class model, listing outputs and accepted layouts, and uploads nothing", async () => {
    const { run, uploaded } = await scoreWith(threeClassModel(3), "own/three.onnx");
    expect(run.exitCode).toBe(1);
    expect(run.results.status.title).toBe("Model outputs not supported");
    expect(run.results.status.explanation).toContain("probs: tensor(float) [N, 3]");
    expect(run.results.status.explanation).toContain("Accepted:");
    expect(uploaded).toBe(false);
  });

  it("refuses a wrong feature count, giving both numbers", async () => {
    const { run, uploaded } = await scoreWith(probabilityModel({ weights: [1, 2, 3, 4], bias: 0 }), "own/four.onnx");
    expect(run.exitCode).toBe(1);
    expect(run.results.status.title).toBe("Model expects a different number of features");
    expect(run.results.status.explanation).toContain("expects 4 features");
    expect(run.results.status.explanation).toContain("lists 3");
    expect(uploaded).toBe(false);
  });

  it("counts one input per category in the feature-count error", async () => {
    const { run } = await scoreWith(probabilityModel({ weights: [1, 2, 3, 4], bias: 0 }), "own/four.onnx", {
      features: ["feature_sessions", "feature_country"],
      categories: { feature_country: ["US", "NL"] },
    });
    expect(run.exitCode).toBe(1);
    expect(run.results.status.explanation).toContain("expects 4 features per user but options.features gives 3 inputs");
  });

  it("scores one-hot categories as the model expects them", async () => {
    // p = sigmoid(0.1 sessions + 1.5 [US] - 1 [NL] - 1)
    const oneHot: LinearSpec = { weights: [0.1, 1.5, -1], bias: -1 };
    const { run } = await scoreWith(probabilityModel(oneHot), "own/one-hot.onnx", {
      features: ["feature_sessions", "feature_country"],
      categories: { feature_country: ["US", "NL"] },
    });
    expect(run.results.status.code).toBe("success");
    const scores = await uploadedScores();
    for (const row of rows.slice(0, 50)) {
      const sessions = typeof row[9] === "number" ? Math.fround(row[9]) : fill;
      const inputs = [sessions, row[12] === "US" ? 1 : 0, row[12] === "NL" ? 1 : 0];
      expect(scores.get(row[0] as string)).toBeCloseTo(expectedProbability(oneHot, inputs), 5);
    }
  });

  it("fails on scores outside [0, 1] without leaving or uploading a partial data.json", async () => {
    // A model that outputs its logit instead of a probability.
    const logits = logitModel({ weights: [1, 1, 1], bias: 5 });
    const { run, uploaded } = await scoreWith(logits, "own/logit.onnx");
    expect(run.exitCode).toBe(1);
    expect(run.results.status.title).toBe("Model produced invalid scores");
    expect(run.files).toEqual(["manifest.json", "results.json"]);
    expect(uploaded).toBe(false);
  });
});
