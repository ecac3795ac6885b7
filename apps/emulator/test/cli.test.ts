import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseCli } from "../src/cli-options.js";
import { tinyPlugin } from "./helpers/plugins.js";
import { tempDir } from "./helpers/tmp.js";

describe("parseCli", () => {
  it("reads flags, with env equivalents underneath", () => {
    const o = parseCli(
      ["run", "--users", "5000", "--max-batch-size", "1000", "--fault-5xx-rate", "0.1", "--fault-expired-urls", "--keep"],
      { BATCHKIT_USERS: "9", BATCHKIT_CONCURRENCY: "3", BATCHKIT_FAULT_SLOW_MS: "20", BATCHKIT_PLUGIN: "python main.py" },
    );
    expect(o).toMatchObject({
      command: "run",
      users: 5000,
      maxBatchSize: 1000,
      concurrency: 3,
      keep: true,
      plugin: "python main.py",
      faults: { rate5xx: 0.1, expiredUrls: true, slowMs: 20 },
    });
  });

  it("has defaults", () => {
    expect(parseCli(["run"], {})).toMatchObject({ command: "run", users: 100_000, seed: 42, workDir: ".emulator", store: true, faults: {} });
    expect(parseCli([], {}).command).toBe("help");
    expect(parseCli(["serve", "--help"], {}).command).toBe("help");
  });

  it("refuses bad values, naming the flag and its env variable", () => {
    expect(() => parseCli(["run", "--users", "lots"], {})).toThrow('--users (or BATCHKIT_USERS) must be a whole number, got "lots"');
    expect(() => parseCli(["run"], { BATCHKIT_FAULT_RESET_RATE: "2" })).toThrow(/--fault-reset-rate .* must be a fraction in 0..1/);
    expect(() => parseCli(["run", "--bogus"], {})).toThrow(/bogus/);
    expect(() => parseCli(["launch"], {})).toThrow(/unknown command "launch"/);
    expect(() => parseCli(["query"], {})).toThrow(/query needs the SQL text/);
    expect(() => parseCli(["run", "--initial-dataset", "today"], {})).toThrow(/0_sec, latest or 95_pct/);
  });
});

describe("the CLI process", { timeout: 90_000 }, () => {
  const pkg = fileURLToPath(new URL("..", import.meta.url));
  const tsx = join(pkg, "node_modules", "tsx", "dist", "loader.mjs");
  const cli = (args: string[], cwd: string) =>
    spawnSync(process.execPath, ["--conditions=@batchkit/source", "--import", tsx, join(pkg, "src", "cli.ts"), ...args], { cwd, encoding: "utf8", timeout: 80_000 });

  it("runs a lifecycle, prints the summary, keeps only the store", () => {
    const tmp = tempDir("cli");
    try {
      const plugin = tinyPlugin.map((w) => JSON.stringify(w)).join(" ");
      const r = cli(["run", "--users", "2000", "--concurrency", "2", "--plugin", plugin, "--work-dir", "work"], tmp.dir);
      expect(r.stderr).toContain("batches 1/1");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("2,000 of 2,000 users scored in 1 batch");
      expect(r.stdout).toContain("every user scored exactly once: yes");
      expect(existsSync(join(tmp.dir, "work", "user-properties.sqlite"))).toBe(true);
      expect(existsSync(join(tmp.dir, "work", "datasets"))).toBe(false);
      const q = cli(["query", "SELECT COUNT(DISTINCT user_id) AS users, MIN(value) >= 0 AS sane FROM user_properties", "--work-dir", "work"], tmp.dir);
      expect(q.status).toBe(0);
      expect(q.stdout.trim()).toBe('{"users":2000,"sane":1}');
    } finally {
      tmp.cleanup();
    }
  });

  it("exits non-zero with the reason when the run fails", () => {
    const tmp = tempDir("cli-fail");
    try {
      const r = cli(["run", "--users", "100", "--plugin", `${JSON.stringify(process.execPath)} -e "process.exit(2)"`, "--work-dir", "w"], tmp.dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("EMULATOR_PLUGIN_NO_RESULTS");
      expect(r.stderr).toContain("exit code 2");
      const bad = cli(["run", "--users=20000000"], tmp.dir);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain("--users (or BATCHKIT_USERS) must be in 0..10000000, got 20000000");
      expect(existsSync(join(tmp.dir, ".emulator"))).toBe(false);
    } finally {
      tmp.cleanup();
    }
  });
});
