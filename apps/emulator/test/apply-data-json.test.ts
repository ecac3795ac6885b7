import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyDataJson, type BatchSlice } from "../src/apply-data-json.js";
import { DemoProject } from "../src/demo-project.js";
import { EmulatorError } from "../src/errors.js";
import { PropertyStore } from "../src/store.js";
import { tempDir } from "./helpers/tmp.js";

const tmp = tempDir("apply");
afterAll(() => tmp.cleanup());
const project = new DemoProject({ users: 100, seed: 1 });
const slice: BatchSlice = { batch: 2, start: project.randoms[10] as number, end: project.randoms[20] as number, lo: 10, hi: 20 };
let n = 0;

function file(doc: unknown): string {
  const path = join(tmp.dir, `d${n++}.json`);
  writeFileSync(path, typeof doc === "string" ? doc : JSON.stringify(doc));
  return path;
}

const ids = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => project.userId(from + i));

async function failure(doc: unknown): Promise<EmulatorError> {
  const err = await applyDataJson(file(doc), slice, project, null, "r", new Float64Array(100)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(EmulatorError);
  return err as EmulatorError;
}

describe("applyDataJson", () => {
  it("applies a complete slice to the store and records the scores", async () => {
    const store = new PropertyStore(join(tmp.dir, "store.sqlite"));
    store.beginRun("r1", "test", 100);
    const scores = new Float64Array(100).fill(Number.NaN);
    const updates = ids(10, 20).map((id, i) => [id, "A", i / 10, i % 2 === 0]);
    const applied = await applyDataJson(file({ category: "Predictions", properties: ["Class", "Rating", "Flag"], updates }), slice, project, store, "r1", scores);
    expect(applied).toEqual({ rows: 10, category: "Predictions", properties: ["Class", "Rating", "Flag"], scoreProperty: "Rating" });
    expect(scores[10]).toBe(0);
    expect(scores[19]).toBe(0.9);
    expect(scores[9]).toBeNaN();
    store.buildIndex();
    expect(store.counts("r1", "Rating")).toEqual({ rows: 10, distinctUsers: 10 });
    const flag = store.query<{ value: number }>("SELECT value FROM user_properties WHERE user_id = ? AND property = 'Flag'", project.userId(10));
    expect(flag).toEqual([{ value: 1 }]);
    store.close();
  });

  it("names a missing user and the batch range", async () => {
    const err = await failure({ properties: ["Rating"], updates: ids(11, 20).map((id) => [id, 0.5]) });
    expect(err.code).toBe("EMULATOR_USER_MISSING");
    expect(err.message).toContain(`batch 2 [range_start_gt_or_eq=${slice.start}, range_end_lt=${slice.end})`);
    expect(err.message).toContain(`1 of 10 users were not scored, the first is "${project.userId(10)}"`);
  });

  it("names a duplicated user", async () => {
    const updates = ids(10, 20).map((id) => [id, 0.5]);
    updates.push([project.userId(15), 0.7]);
    const err = await failure({ properties: ["Rating"], updates });
    expect(err.code).toBe("EMULATOR_USER_DUPLICATE");
    expect(err.message).toContain(`updates[10]: user "${project.userId(15)}" appears more than once`);
  });

  it("names a user of another slice, and one of no slice", async () => {
    const other = await failure({ properties: ["Rating"], updates: [...ids(10, 20), project.userId(50)].map((id) => [id, 0.5]) });
    expect(other.code).toBe("EMULATOR_USER_NOT_IN_SLICE");
    expect(other.message).toContain(project.userId(50));
    const stranger = await failure({ properties: ["Rating"], updates: [["nobody", 0.5]] });
    expect(stranger.code).toBe("EMULATOR_USER_NOT_IN_SLICE");
  });

  it("refuses rows of the wrong width, bad values, bad headers and broken JSON", async () => {
    expect((await failure({ properties: ["Rating"], updates: [[project.userId(10), 0.5, 1]] })).message).toMatch(/updates\[0\].*2 elements/);
    expect((await failure({ properties: ["Rating"], updates: [[project.userId(10), { x: 1 }]] })).message).toMatch(/updates\[0\]\[1\]/);
    expect((await failure({ properties: [], updates: [] })).code).toBe("EMULATOR_DATA_JSON_INVALID");
    expect((await failure({ properties: ["Rating"] })).code).toBe("EMULATOR_DATA_JSON_INVALID");
    const broken = await failure('{"properties":["Rating"],"updates":[["x",');
    expect(broken.code).toBe("EMULATOR_DATA_JSON_INVALID");
    expect(broken.message).toMatch(/not valid JSON.*at byte \d+/);
  });
});
