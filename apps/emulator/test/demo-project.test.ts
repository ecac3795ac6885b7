import { describe, expect, it } from "vitest";
import { DemoProject, isoSeconds } from "../src/demo-project.js";
import { COLUMNS, FEATURE_IDS, featureMetadata } from "../src/demo-schema.js";

const moment = { key: "since_0", seconds: 0 };
const now = "2026-01-01T00:00:00Z";

describe("DemoProject", () => {
  it("is deterministic for a seed and differs across seeds", () => {
    const a = new DemoProject({ users: 500, seed: 1 });
    const b = new DemoProject({ users: 500, seed: 1 });
    const c = new DemoProject({ users: 500, seed: 2 });
    expect(a.rowJson(17, moment, now)).toBe(b.rowJson(17, moment, now));
    expect(a.rowJson(17, moment, now)).not.toBe(c.rowJson(17, moment, now));
    expect(Array.from(a.randoms)).toEqual(Array.from(b.randoms));
  });

  it("orders users by random in [0, 1) and finds ranges by binary search", () => {
    const p = new DemoProject({ users: 5000, seed: 9 });
    for (let i = 1; i < p.users; i++) expect(p.randoms[i] as number).toBeGreaterThan(p.randoms[i - 1] as number);
    expect(p.randoms[0] as number).toBeGreaterThan(0);
    expect(p.randoms[p.users - 1] as number).toBeLessThan(1);
    // Roughly uniform: about half below 0.5.
    expect(Math.abs(p.lowerBound(0.5) - 2500)).toBeLessThan(200);
    expect(p.lowerBound(p.randoms[1234] as number)).toBe(1234);
    expect(p.lowerBound(0)).toBe(0);
    expect(p.lowerBound(1)).toBe(5000);
  });

  it("gives unique ids that map back to their index, and refuses others", () => {
    const p = new DemoProject({ users: 20_000, seed: 5 });
    const ids = new Set<string>();
    for (let i = 0; i < p.users; i++) {
      const id = p.userId(i);
      ids.add(id);
      expect(p.userIndex(id)).toBe(i);
    }
    expect(ids.size).toBe(20_000);
    expect(p.userIndex("user_1")).toBe(-1);
    expect(p.userIndex(42)).toBe(-1);
    expect(p.userIndex("uZZZZZZZZ")).toBe(-1);
  });

  it("writes rows of the platform's layout, ASCII, with labels that match y_value", () => {
    const p = new DemoProject({ users: 3000, seed: 4 });
    const labels = new Uint8Array(p.users);
    const yAt = COLUMNS.indexOf("y_value");
    const countryAt = COLUMNS.indexOf(FEATURE_IDS[26] as string);
    let converted = 0;
    let missingCountry = 0;
    for (let i = 0; i < p.users; i++) {
      const text = p.rowJsonWithLabel(i, moment, now, labels);
      expect(/^[\x20-\x7e]*$/.test(text)).toBe(true);
      const row = JSON.parse(text) as unknown[];
      expect(row).toHaveLength(COLUMNS.length);
      expect(row[0]).toBe(p.userId(i));
      expect(row[yAt]).toBe(labels[i] === 1 ? "true" : "false");
      converted += labels[i] as number;
      if (row[countryAt] === null) missingCountry++;
    }
    expect(converted / p.users).toBeGreaterThan(0.15);
    expect(converted / p.users).toBeLessThan(0.45);
    expect(missingCountry).toBeGreaterThan(0);
    expect(Array.from(p.labels())).toEqual(Array.from(labels));
  });

  it("describes every feature column in the metadata", () => {
    const meta = featureMetadata(0);
    expect(Object.keys(meta)).toEqual(FEATURE_IDS);
    expect(new Set(Object.values(meta).map((f) => f.type))).toEqual(new Set(["boolean", "number", "categorical"]));
    for (const id of FEATURE_IDS) expect(id).toMatch(/^feature_[0-9a-f]{9}$/);
  });

  it("refuses a user count outside 0..10M", () => {
    expect(() => new DemoProject({ users: 10_000_001, seed: 1 })).toThrow(/users must be an integer/);
    expect(() => new DemoProject({ users: 1.5, seed: 1 })).toThrow(/users must be an integer/);
  });

  it("formats timestamps like toISOString without milliseconds", () => {
    for (const s of [0, 1767225599, 1767225600, 1700000000, 1700003661]) {
      expect(isoSeconds(s)).toBe(new Date(s * 1000).toISOString().replace(".000", ""));
    }
  });
});
