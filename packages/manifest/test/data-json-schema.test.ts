import { describe, expect, test } from "vitest";
import { parseDataJson } from "../src/index.js";
import { fixture } from "./helpers/fixtures.js";

function message(input: unknown): string {
  const result = parseDataJson(input);
  if (result.ok) throw new Error("expected data.json to be refused");
  return result.error.message;
}

describe("parseDataJson", () => {
  test("the seed's example parses", () => {
    const result = parseDataJson(fixture("seed-data.json"));
    expect(result.ok && result.value.updates[3]).toEqual(["user_4", "C", 0.01]);
  });

  test("category is optional; numeric user ids are accepted", () => {
    const result = parseDataJson({ properties: ["Rating"], updates: [[12, 0.5], ["u", null]] });
    expect(result.ok).toBe(true);
  });

  test("an update row of the wrong length names the row and both lengths", () => {
    expect(message({ properties: ["Class", "Rating"], updates: [["u1", "A", 0.1], ["u2", 0.5]] })).toBe(
      "updates[1]: must have 3 elements (user_id and 2 values), got 2",
    );
  });

  test("empty properties", () => {
    expect(message({ properties: [], updates: [] })).toBe("properties: must have at least 1 item, got an array of 0");
  });

  test("empty and duplicate property names", () => {
    expect(message({ properties: ["Rating", ""], updates: [] })).toBe("properties[1]: must not be empty");
    expect(message({ properties: ["Rating", "Rating"], updates: [] })).toBe('properties[1]: duplicates the property name "Rating"');
  });

  test("non-scalar values and bad user ids", () => {
    expect(message({ properties: ["Rating"], updates: [["u1", { p: 1 }]] })).toBe("updates[0][1]: has an unexpected shape (an object)");
    expect(message({ properties: ["Rating"], updates: [[null, 0.2]] })).toBe("updates[0][0]: must be a user id (a non-empty string or a number), got null");
  });

  test("updates must be an array of arrays", () => {
    expect(message({ properties: ["Rating"], updates: {} })).toBe("updates: must be an array, got an object");
  });
});
