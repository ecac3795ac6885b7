import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDataJson, type DataJson } from "@batchkit/manifest";
import { trainStageRequest } from "../../src/stages/initial.js";
import { trainConversionModel } from "../../src/training.js";
import { cleanRun, runStage, testHttp } from "../helpers/plugin-run.js";
import { startStormlyServer, signature, type StormlyServer } from "../helpers/stormly-server.js";
import { datasetBody, syntheticColumns, syntheticFeatures, syntheticRows, type Row } from "../helpers/synthetic-data.js";

let server: StormlyServer;
let batchOptions: Record<string, unknown>;
let trainData: Record<string, unknown>;

const metadata = {
  datasets: { initial: { fullDatasetSize: 3000 }, train_0: { fullDatasetSize: 8000 } },
  features: syntheticFeatures,
};

function trainMoreManifest(extra: Record<string, unknown> = {}) {
  return {
    stage: "trainMore",
    dataUrls: { initial: server.dataUrl("initial"), train_0: server.dataUrl("train_0") },
    downloadUrls: {},
    getUploadUrls: { trainMore: server.uploadUrl("trainMore") },
    inputParams: {},
    metadata,
    ...extra,
  };
}

function batchManifest(slice: string, options: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    stage: "batch",
    dataUrls: { initial: server.dataUrl(slice, "range_start_gt_or_eq=0.0&range_end_lt=0.5") },
    downloadUrls: { trainMore: server.downloadUrl("trainMore") },
    getUploadUrls: { batch: server.uploadUrl("batch") },
    options,
    metadata,
    ...extra,
  };
}

async function uploadedDataJson(): Promise<DataJson> {
  const parsed = parseDataJson(JSON.parse((await server.readStored("batch", "data.json")).toString("utf8")));
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

beforeAll(async () => {
  server = await startStormlyServer();
  server.setDataset("initial", datasetBody(syntheticRows({ users: 3000, seed: 11 })));
  server.setDataset("train_0", datasetBody(syntheticRows({ users: 8000, seed: 12 })));
  const run = await runStage(trainMoreManifest());
  expect(run.results.status).toMatchObject({ code: "success" });
  batchOptions = run.results.batches?.options ?? {};
  trainData = run.results.data as Record<string, unknown>;
  await cleanRun(run);
});

afterAll(async () => {
  await server?.close();
});

describe("initial stage", () => {
  it("profiles the dataset, chooses features and asks for trainMore", async () => {
    const run = await runStage({ stage: "initial", dataUrls: { initial: server.dataUrl("initial") }, metadata });
    try {
      expect(run.exitCode).toBe(0);
      expect(run.results.status.code).toBe("success");
      expect(run.results.stages).toEqual(trainStageRequest);
      const data = run.results.data as {
        users: number;
        conversionRate: number;
        selectedFeatures: string[];
        features: { column: string; type: string; missingRate: number; selected: boolean; reason?: string; quantiles?: unknown; topCategories?: { value: string }[] }[];
        jsx: string;
      };
      expect(data.users).toBe(3000);
      expect(data.conversionRate).toBeGreaterThan(0.1);
      expect(data.conversionRate).toBeLessThan(0.7);
      expect(data.selectedFeatures.sort()).toEqual(["feature_age", "feature_country", "feature_noise", "feature_paid", "feature_sessions"]);
      const byColumn = new Map(data.features.map((f) => [f.column, f]));
      expect(byColumn.get("feature_age")).toMatchObject({ type: "number", selected: true });
      expect(byColumn.get("feature_age")!.missingRate).toBeCloseTo(0.1, 1);
      expect(byColumn.get("feature_age")!.quantiles).toBeDefined();
      expect(byColumn.get("feature_paid")).toMatchObject({ type: "boolean", selected: true });
      expect(byColumn.get("feature_country")!.topCategories!.map((c) => c.value)).toContain("US");
      expect(byColumn.get("feature_sparse")).toMatchObject({ selected: false });
      expect(byColumn.get("feature_sparse")!.reason).toMatch(/missing/);
      expect(byColumn.get("feature_token")).toMatchObject({ type: "categorical", selected: false });
      expect(data.jsx).toContain("export default function");
      // The request for the initial dataset carried no upload: the initial stage stores nothing.
      expect(run.files).toEqual(["manifest.json", "results.json"]);
    } finally {
      await cleanRun(run);
    }
  });

  it("fails with a status naming the missing dataset", async () => {
    const run = await runStage({ stage: "initial", dataUrls: { latest: server.dataUrl("initial") } });
    try {
      expect(run.exitCode).toBe(1);
      expect(run.results.status).toMatchObject({ code: "error", title: "Dataset missing from the manifest" });
      expect(run.results.status.explanation).toContain('no "initial"');
    } finally {
      await cleanRun(run);
    }
  });
});

describe("stage failures", () => {
  it("reports a dataset answered with 404 in the status", async () => {
    const run = await runStage({ stage: "initial", dataUrls: { initial: server.dataUrl("no-such-dataset", "range_start_gt_or_eq=0&range_end_lt=1") } });
    try {
      expect(run.exitCode).toBe(1);
      expect(run.results.status.code).toBe("error");
      expect(run.results.status.explanation).toContain("404");
      expect(run.results.status.explanation).not.toContain("range_start_gt_or_eq");
    } finally {
      await cleanRun(run);
    }
  });

  it("refuses to train when no user converted", async () => {
    const rows = syntheticRows({ users: 500, seed: 13 }).map((row) => [...row.slice(0, 3), "false", ...row.slice(4)]);
    server.setDataset("train_none", datasetBody(rows));
    const uploadsBefore = server.uploads().length;
    const run = await runStage(trainMoreManifest({ dataUrls: { train_0: server.dataUrl("train_none") } }));
    try {
      expect(run.exitCode).toBe(1);
      expect(run.results.status.title).toBe("Training data has a single outcome");
      expect(server.uploads()).toHaveLength(uploadsBefore);
    } finally {
      await cleanRun(run);
    }
  });
});

describe("trainMore stage", () => {
  it("fits a model that beats the constant baseline and uploads model.onnx", async () => {
    const metrics = trainData["metrics"] as {
      validation: { auc: number; logLoss: number; baselineLogLoss: number; deciles: { lift: number }[] };
      validationUsers: number;
      onnxMaxAbsDifference: number;
      coefficients: { input: string; weight: number }[];
    };
    expect(metrics.validation.auc).toBeGreaterThan(0.75);
    expect(metrics.validation.logLoss).toBeLessThan(metrics.validation.baselineLogLoss);
    expect(metrics.validationUsers).toBeGreaterThan(1200);
    expect(metrics.validation.deciles).toHaveLength(10);
    expect(metrics.validation.deciles[0]!.lift).toBeGreaterThan(1.5);
    expect(metrics.onnxMaxAbsDifference).toBeLessThanOrEqual(1e-5);
    // The planted effects come out with their signs.
    const weight = (input: string) => metrics.coefficients.find((c) => c.input === input)!.weight;
    expect(weight("feature_sessions")).toBeGreaterThan(0.5);
    expect(weight("feature_paid")).toBeGreaterThan(0.3);
    expect(weight("feature_country=US")).toBeGreaterThan(weight("feature_country=DE"));
    expect(server.uploads()).toContain("trainMore/model.onnx");
    expect(batchOptions).toMatchObject({ model: "model.onnx", fill: 0 });
    expect(batchOptions["features"]).toEqual(["feature_sessions", "feature_age", "feature_paid", "feature_country", "feature_noise"]);
    expect((batchOptions["categories"] as Record<string, string[]>)["feature_country"]).toEqual(expect.arrayContaining(["US", "DE", "NL"]));
    expect((batchOptions["fills"] as Record<string, number>)["feature_age"]).toBeCloseTo(35, 0);
  });

  it("returns maxBatchSize 10,000 by default and the inputParams value when set", async () => {
    const run = await runStage(trainMoreManifest({ inputParams: { maxBatchSize: 5000.0 } }));
    try {
      expect(run.results.batches?.maxBatchSize).toBe(5000);
    } finally {
      await cleanRun(run);
    }
    expect(server.requests.some((r) => r.url.startsWith("/upload_url/trainMore/model.onnx"))).toBe(true);
  });

  it("refuses an out-of-range maxBatchSize", async () => {
    const run = await runStage(trainMoreManifest({ inputParams: { maxBatchSize: 50 } }));
    try {
      expect(run.exitCode).toBe(1);
      expect(run.results.status.explanation).toContain("inputParams.maxBatchSize");
    } finally {
      await cleanRun(run);
    }
  });

  it("exports a model whose onnxruntime probabilities equal the TypeScript model's within 1e-5", async () => {
    const trained = await trainConversionModel([{ key: "train_0", url: server.dataUrl("train_0") }], syntheticFeatures, {
      tmpDir: process.cwd(),
      http: testHttp,
    });
    const { inputs, rows, probabilities } = trained.validation;
    expect(rows).toBeGreaterThan(1000);
    const session = await ort.InferenceSession.create(trained.onnx);
    const width = inputs.length / rows;
    const output = await session.run({ features: new ort.Tensor("float32", inputs, [rows, width]) });
    const onnx = output["probability"]!.data as Float32Array;
    let largest = 0;
    for (let i = 0; i < rows; i++) largest = Math.max(largest, Math.abs(onnx[i]! - probabilities[i]!));
    expect(largest).toBeLessThan(1e-5);
    await session.release();
  });
});

describe("batch stage", () => {
  const slice = (rows: Row[]) => datasetBody(rows, syntheticColumns);
  const base = syntheticRows({ users: 400, seed: 21, idPrefix: "score" });
  const features = (row: Row) => row.slice(9);
  const withId = (id: string, template: Row, random = 0.25): Row => [id, ...template.slice(1, 5), random, ...template.slice(6)];

  it("scores every user once (last one wins), fills missing values, keeps escaped ids", async () => {
    const first = base[0]!;
    const last = base[1]!;
    const empty: Row = withId("all-missing", base[2]!);
    for (let k = 9; k < empty.length; k++) empty[k] = null;
    const strange = ['quote " and \\ backslash', "ünïcödé ✓", "emoji 😀", "line\nbreak", "tab\there"];
    const rows: Row[] = [
      ...base,
      withId("dup", first),
      ...strange.map((id, k) => withId(id, base[k + 3]!)),
      empty,
      withId("dup", last),
      withId("twin-of-last", last),
      withId("twin-of-first", first),
    ];
    server.setDataset("slice", slice(rows));
    const run = await runStage(batchManifest("slice", batchOptions));
    try {
      expect(run.results.status).toEqual({ code: "success", title: null, explanation: null, backtrace: null });
      expect(run.exitCode).toBe(0);
      const data = await uploadedDataJson();
      expect(data.category).toBe("Predictions");
      expect(data.properties).toEqual(["Rating"]);
      const scores = new Map(data.updates.map(([id, p]) => [id, p as number]));
      expect(data.updates).toHaveLength(base.length + strange.length + 4);
      expect(scores.size).toBe(data.updates.length);
      for (const id of strange) expect(scores.has(id)).toBe(true);
      expect(scores.get("dup")).toBe(scores.get("twin-of-last"));
      expect(scores.get("dup")).not.toBe(scores.get("twin-of-first"));
      expect(features(first)).not.toEqual(features(last));
      for (const [, p] of data.updates) {
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        expect(String(p).split(".")[1]?.length ?? 0).toBeLessThanOrEqual(6);
      }
      expect(Number.isFinite(scores.get("all-missing"))).toBe(true);
      expect(run.log).toMatch(/scored.*users=4\d\d/);
      expect(run.log).toContain("missingFilled=");
      expect(run.log).toContain("duplicates=1");
      expect(run.log).toContain("p50=");
      // The signed upload URL's query string never reaches the log.
      expect(run.log).not.toContain(signature);
      expect(run.files).toEqual(["data.json", "manifest.json", "results.json"]);
    } finally {
      await cleanRun(run);
    }
  });

  it("succeeds on an empty slice with no updates", async () => {
    server.setDataset("empty", slice([]));
    const run = await runStage(batchManifest("empty", batchOptions));
    try {
      expect(run.results.status.code).toBe("success");
      const data = await uploadedDataJson();
      expect(data.updates).toEqual([]);
    } finally {
      await cleanRun(run);
    }
  });

  it("scores options.dataset when set, else latest before initial", async () => {
    server.setDataset("latest-slice", slice(base.slice(0, 7)));
    server.setDataset("other-slice", slice(base.slice(0, 3)));
    const latest = await runStage(
      batchManifest("slice", batchOptions, {
        dataUrls: { initial: server.dataUrl("slice"), latest: server.dataUrl("latest-slice") },
      }),
    );
    await cleanRun(latest);
    expect((await uploadedDataJson()).updates).toHaveLength(7);
    const chosen = await runStage(
      batchManifest("slice", { ...batchOptions, dataset: "train_9" }, {
        dataUrls: { initial: server.dataUrl("slice"), latest: server.dataUrl("latest-slice"), train_9: server.dataUrl("other-slice") },
      }),
    );
    await cleanRun(chosen);
    expect((await uploadedDataJson()).updates).toHaveLength(3);
  });

  it("fails clearly when the model is missing (404), uploading nothing", async () => {
    server.setDataset("slice-404", slice(base.slice(0, 5)));
    const before = server.uploads().length;
    const run = await runStage(batchManifest("slice-404", batchOptions, { downloadUrls: { trainMore: server.downloadUrl("never-trained") } }));
    try {
      expect(run.exitCode).toBe(1);
      expect(run.results.status).toMatchObject({ code: "error", title: "Model not found" });
      expect(run.results.status.explanation).toContain("The trainMore stage must upload model.onnx");
      expect(run.results.status.explanation).toContain("404");
      expect(server.uploads()).toHaveLength(before);
      expect(run.files).toEqual(["manifest.json", "results.json"]);
    } finally {
      await cleanRun(run);
    }
  });

  it("refuses a BATCHKIT_DECODE_THREADS that is not 0-16, and scores the same with 0 decode threads", async () => {
    server.setDataset("slice-env", slice(base.slice(0, 50)));
    process.env["BATCHKIT_DECODE_THREADS"] = "two";
    const bad = await runStage(batchManifest("slice-env", batchOptions));
    process.env["BATCHKIT_DECODE_THREADS"] = "0";
    const zero = await runStage(batchManifest("slice-env", batchOptions));
    delete process.env["BATCHKIT_DECODE_THREADS"];
    try {
      expect(bad.exitCode).toBe(1);
      expect(bad.results.status.explanation).toContain('BATCHKIT_DECODE_THREADS must be an integer from 0 to 16, got "two"');
      expect(bad.files).toEqual(["manifest.json", "results.json"]);
      expect(zero.results.status.code).toBe("success");
      expect((await uploadedDataJson()).updates).toHaveLength(50);
    } finally {
      await cleanRun(bad);
      await cleanRun(zero);
    }
  });

  it("reports a missing model at once even while the slice's download stalls (the read-ahead is stopped)", async () => {
    server.setStallingDataset("slice-stalls", slice(base));
    const started = performance.now();
    const run = await runStage(batchManifest("slice-stalls", batchOptions, { downloadUrls: { trainMore: server.downloadUrl("never-trained-either") } }));
    try {
      expect(run.results.status).toMatchObject({ code: "error", title: "Model not found" });
      // Without the stop it would wait for the body's idle timeout first.
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(run.files).toEqual(["manifest.json", "results.json"]);
    } finally {
      await cleanRun(run);
    }
  });

  it("reads the slice ahead while the model is still downloading, then scores every user in order", async () => {
    // 60,000 users (~15 MB of rows): more than socket buffers hold, so the whole body leaves the server
    // only if the stage keeps reading while the model is held back.
    const rows = syntheticRows({ users: 60_000, seed: 77, idPrefix: "ahead" });
    server.setDataset("slice-ahead", datasetBody(rows));
    const allSent = server.datasetSent("slice-ahead");
    let openedBy = "";
    const gate = Promise.race([
      allSent.then(() => (openedBy ||= "the whole slice was read")),
      new Promise((resolve) => setTimeout(resolve, 8000)).then(() => (openedBy ||= "timeout")),
    ]);
    server.holdFiles(gate);
    const run = await runStage(batchManifest("slice-ahead", batchOptions));
    server.holdFiles(undefined);
    try {
      expect(run.results.status.code).toBe("success");
      expect(openedBy).toBe("the whole slice was read");
      const updates = (await uploadedDataJson()).updates;
      expect(updates.map((u) => u[0])).toEqual(rows.map((r) => r[0]));
      expect(updates.every((u) => typeof u[1] === "number" && u[1] >= 0 && u[1] <= 1)).toBe(true);
    } finally {
      await cleanRun(run);
    }
  });

  it("fails on invalid options, naming the option", async () => {
    const run = await runStage(batchManifest("slice", { ...batchOptions, features: "feature_age" }));
    try {
      expect(run.exitCode).toBe(1);
      expect(run.results.status.title).toBe("Invalid batch options");
      expect(run.results.status.explanation).toContain("options.features");
    } finally {
      await cleanRun(run);
    }
  });
});
