import { describe, expect, test } from "vitest";
import { parseManifest } from "../src/index.js";
import { fixture } from "./helpers/fixtures.js";

function message(input: unknown, source?: string): string {
  const result = parseManifest(input, source === undefined ? undefined : { source });
  if (result.ok) throw new Error("expected the manifest to be refused");
  return result.error.message;
}

describe("parseManifest", () => {
  test("the seed's batch manifest parses, with its options and URLs kept", () => {
    const result = parseManifest(fixture("seed-batch-manifest.json"));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.stage).toBe("batch");
    expect(Object.keys(result.value.dataUrls)).toEqual(["initial", "latest", "train_0", "train_6270", "train_12464", "train_322978"]);
    expect(result.value.options).toEqual({ arg1: 1, arg2: "abc" });
    expect(result.value.getUploadUrls.batch).toBe("https://www.stormly.com/api/developer/upload_url/wxyz/6789");
  });

  test("unknown keys are kept at every level, not rejected", () => {
    const result = parseManifest({
      stage: "initial",
      dataUrls: { initial: "http://127.0.0.1:1/d" },
      somethingNew: { a: 1 },
      metadata: { goal: { event: "x", extra: true }, newField: 3 },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value["somethingNew"]).toEqual({ a: 1 });
    expect(result.value.metadata["newField"]).toBe(3);
    expect(result.value.metadata.goal).toEqual({ event: "x", extra: true });
  });

  test("absent maps default to empty objects", () => {
    const result = parseManifest({ stage: "initial", dataUrls: {} });
    expect(result.ok && result.value).toMatchObject({ downloadUrls: {}, getUploadUrls: {}, inputParams: {}, options: {}, metadata: {} });
  });

  test("a manifest without stage or dataUrls names both", () => {
    expect(message({ downloadUrls: {} })).toBe("stage: is required; dataUrls: is required");
  });

  test("the source is named first, and every issue has its path", () => {
    expect(message({ stage: "", dataUrls: { initial: "ftp://x/y", latest: 3 } }, "/tmp/manifest.json")).toBe(
      '/tmp/manifest.json: stage: must not be empty; dataUrls.initial: must be an http(s) URL, got "ftp://x/y"; dataUrls.latest: must be a string, got 3',
    );
  });

  test("a manifest that is not an object", () => {
    expect(message([1, 2])).toBe("(root): must be an object, got an array of 2");
  });

  test("a refused URL never shows its query string", () => {
    const text = message({ stage: "batch", dataUrls: { initial: "not a url?X-Amz-Signature=abc" } });
    expect(text).not.toContain("X-Amz-Signature");
  });

  test("the error carries a code, a title and a hint", () => {
    const result = parseManifest({});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("MANIFEST_INVALID");
    expect(result.error.title).toBe("Invalid manifest");
    expect(result.error.hint).toMatch(/manifest/);
    expect(result.error.issues.map((i) => i.path)).toEqual(["stage", "dataUrls"]);
  });
});
