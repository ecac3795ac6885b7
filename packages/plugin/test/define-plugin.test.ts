import { afterAll, describe, expect, test } from "vitest";
import { parseResults } from "@batchkit/manifest";
import { removeRunDirs, runFixture } from "./helpers/run-plugin.js";

afterAll(removeRunDirs);

const SECRET = "X-Amz-Signature=deadbeef";
const manifest = (stage: string, extra: Record<string, unknown> = {}) => ({
  stage,
  dataUrls: { initial: `http://127.0.0.1:9/api/plugin/query_dataset/a?${SECRET}`, train_0: `http://127.0.0.1:9/d/t?${SECRET}` },
  ...extra,
});

function status(results: unknown) {
  const parsed = parseResults(results);
  if (!parsed.ok) throw parsed.error;
  return parsed.value.status;
}

describe("the stage runner as a child process", () => {
  test("success: data, batches and stages are written, exit code 0, no temp file left", async () => {
    const run = await runFixture(manifest("initial"));
    expect(run.code).toBe(0);
    expect(run.results).toEqual({
      status: { code: "success", title: null, explanation: null, backtrace: null },
      data: { users: 3, jsx: "<p>ok</p>" },
      batches: { maxBatchSize: 2000, options: { model: "model.onnx" } },
      stages: { trainMore: { datasets: { train_0: { moment: { type: "since", seconds: 0 } } } } },
    });
    expect(run.files).toEqual(["manifest.json", "results.json"]);
    // The logger strips the signed query string.
    expect(run.stderr).toContain("http://127.0.0.1:9/api/plugin/query_dataset/a?…");
    expect(run.stderr).not.toContain(SECRET);
  });

  test("a batch stage writes only its status", async () => {
    const run = await runFixture(manifest("batch"));
    expect(run.code).toBe(0);
    expect(run.results).toEqual({ status: { code: "success", title: null, explanation: null, backtrace: null } });
  });

  test("a stage that throws: error status with title, explanation, stack; secrets redacted; exit 1", async () => {
    const run = await runFixture(manifest("trainMore"));
    expect(run.code).toBe(1);
    const s = status(run.results);
    expect(s.code).toBe("error");
    expect(s.title).toBe("Error");
    expect(s.explanation).toContain("GET http://127.0.0.1:9/d/t?… exploded");
    expect(s.explanation).toMatch(/bug in the plugin/);
    expect(s.backtrace).toMatch(/fixture-plugin\.ts/);
    expect(JSON.stringify(run.results)).not.toContain(SECRET);
    expect(run.stderr).not.toContain(SECRET);
    expect(run.files).toEqual(["manifest.json", "results.json"]);
  });

  test("a PluginError chooses its title and explanation", async () => {
    const run = await runFixture(manifest("batch", { options: { fail: true } }));
    expect(run.code).toBe(1);
    expect(status(run.results)).toMatchObject({ code: "error", title: "Model missing", explanation: "The trainMore stage must upload model.onnx." });
  });

  test("a workspace error's code and hint become title and explanation", async () => {
    const run = await runFixture(manifest("coded"));
    expect(status(run.results)).toMatchObject({ title: "Dataset row length", explanation: "row 7 has 3 values, expected 9. Fix the dataset export." });
  });

  test("an invalid manifest: every issue with its path and the manifest's file", async () => {
    const run = await runFixture({ dataUrls: "nope" });
    expect(run.code).toBe(1);
    const s = status(run.results);
    expect(s.title).toBe("Invalid manifest");
    expect(s.explanation).toContain(`${run.dir}/manifest.json: stage: is required; dataUrls: must be a record, got "nope"`);
  });

  test("a manifest that is not JSON, and one that does not exist", async () => {
    const notJson = await runFixture("{ stage: ");
    expect(status(notJson.results)).toMatchObject({ title: "Manifest is not JSON" });
    const missing = await runFixture(manifest("initial"), { args: (m, r) => [`${m}.missing`, r] });
    expect(missing.code).toBe(1);
    expect(status(missing.results).explanation).toMatch(/manifest\.json\.missing does not exist/);
  });

  test("an unknown stage names the stages this plugin has", async () => {
    const run = await runFixture(manifest("predict"));
    expect(run.code).toBe(1);
    expect(status(run.results)).toMatchObject({
      title: "Unknown stage",
      explanation: expect.stringContaining('stage "predict", but this plugin has the stages "initial", "trainMore", "batch", "coded", "badBatches", "slow", "hung"'),
    });
  });

  test("batches outside the contract are an error status, not a written bad value", async () => {
    const run = await runFixture(manifest("badBatches"));
    expect(run.code).toBe(1);
    expect(status(run.results).explanation).toContain("batches: maxBatchSize: must be at least 1000, got 999");
  });

  test("a results path that cannot be written: exit 1, a message, no partial file", async () => {
    const run = await runFixture(manifest("initial"), { resultsPath: (dir) => `${dir}/no/such/dir/results.json` });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot write the results file .*no\/such\/dir\/results\.json/);
    expect(run.files).toEqual(["manifest.json"]);
  });

  test("missing arguments print usage and exit 2", async () => {
    const run = await runFixture(manifest("initial"), { args: (m) => [m] });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/usage: <plugin> manifest\.json results\.json/);
    expect(run.files).toEqual(["manifest.json"]);
  });

  test("SIGTERM during a stage ends in an error status", async () => {
    const run = await runFixture(manifest("slow"), {
      onSpawn: (kill, stderr) => {
        const timer = setInterval(() => {
          if (stderr().includes("slow stage waiting")) {
            clearInterval(timer);
            kill("SIGTERM");
          }
        }, 20);
      },
    });
    expect(run.code).toBe(1);
    expect(status(run.results)).toMatchObject({ title: "Interrupted" });
  });

  test("a stage whose promise never settles ends in an error status, not a silent exit 0", async () => {
    const run = await runFixture(manifest("hung"));
    expect(run.code).toBe(1);
    expect(status(run.results)).toMatchObject({ title: "Stage never finished" });
  });
});
