import { expect, test } from "vitest";
import { parseDatasetHeader } from "../src/index.js";

test("columns parse in order", () => {
  const result = parseDatasetHeader({ columns: ["user_id", "random", "feature_a"] });
  expect(result.ok && result.value.columns).toEqual(["user_id", "random", "feature_a"]);
});

test("missing, empty and duplicate columns are refused with their paths", () => {
  const missing = parseDatasetHeader({});
  expect(!missing.ok && missing.error.message).toBe("columns: is required");
  const dup = parseDatasetHeader({ columns: ["user_id", "a", "a", ""] });
  expect(!dup.ok && dup.error.message).toBe('columns[3]: must not be empty; columns[2]: duplicates the column name "a"');
  const dup2 = parseDatasetHeader({ columns: ["user_id", "a", "a"] });
  expect(!dup2.ok && dup2.error.message).toBe('columns[2]: duplicates the column name "a"');
  expect(!dup2.ok && dup2.error.code).toBe("DATASET_HEADER_INVALID");
});
