import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Results } from "@batchkit/manifest";
import { startStormlyServer, signature, type StormlyServer } from "../helpers/stormly-server.js";
import { datasetBody, syntheticFeatures, syntheticRows } from "../helpers/synthetic-data.js";
import { skl2onnxZipMapModel } from "../helpers/test-models.js";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// tsx's loader by absolute path, so that the child can run in a working directory outside the package.
const tsxLoader = createRequire(import.meta.url).resolve("tsx");
const mainSource = join(packageDir, "src/main.ts");

let server: StormlyServer;

beforeAll(async () => {
  server = await startStormlyServer();
  server.setDataset("slice", datasetBody(syntheticRows({ users: 250, seed: 41 })));
});

afterAll(async () => {
  await server?.close();
});

async function runProcess(manifest: unknown, args = ["manifest.json", "results.json"]) {
  const cwd = await mkdtemp(join(tmpdir(), "conversion-prediction-process-"));
  await writeFile(join(cwd, "manifest.json"), JSON.stringify(manifest));
  const child = spawn(process.execPath, ["--conditions=@batchkit/source", "--import", tsxLoader, mainSource, ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on("close", done));
  const files = (await readdir(cwd)).sort();
  const results = files.includes("results.json") ? (JSON.parse(await readFile(join(cwd, "results.json"), "utf8")) as Results) : undefined;
  await rm(cwd, { recursive: true, force: true });
  return { code, stderr, stdout, files, results };
}

describe("the plugin as a process (node src/main.ts manifest.json results.json)", () => {
  it("runs the batch stage, writes results.json and data.json in its working directory", async () => {
    await server.putFile("trainMore", "model.onnx", skl2onnxZipMapModel({ weights: [0.1, 0.02], bias: -1 }));
    const { code, stderr, stdout, files, results } = await runProcess({
      stage: "batch",
      dataUrls: { initial: server.dataUrl("slice", "range_start_gt_or_eq=0&range_end_lt=1") },
      downloadUrls: { trainMore: server.downloadUrl("trainMore") },
      getUploadUrls: { batch: server.uploadUrl("batch") },
      options: { features: ["feature_sessions", "feature_age"], fill: 0 },
      metadata: { features: syntheticFeatures, datasets: { initial: { fullDatasetSize: 250 } } },
    });
    expect(stderr).toContain("scored");
    expect(code).toBe(0);
    expect(results?.status.code).toBe("success");
    expect(files).toEqual(["data.json", "manifest.json", "results.json"]);
    expect(stdout).toBe("");
    expect(stderr).not.toContain(signature);
    const uploaded = JSON.parse((await server.readStored("batch", "data.json")).toString()) as { updates: unknown[] };
    expect(uploaded.updates).toHaveLength(250);
  });

  it("exits non-zero with an error status when the stage fails", async () => {
    const { code, results } = await runProcess({ stage: "batch", dataUrls: { initial: server.dataUrl("slice") }, options: {} });
    expect(code).toBe(1);
    expect(results?.status.code).toBe("error");
    expect(results?.status.explanation).toContain("options.features");
  });
});
