import { z } from "zod";
import { makeParser } from "./issues.js";

/** [doc] A dataset body's `metadata`: the column names, in row order. */
export const datasetHeaderSchema = z
  .looseObject({
    columns: z.array(z.string().min(1)).min(1),
  })
  .superRefine((header, ctx) => {
    const seen = new Set<string>();
    header.columns.forEach((name, i) => {
      if (seen.has(name)) ctx.addIssue({ code: "custom", path: ["columns", i], message: `duplicates the column name ${JSON.stringify(name)}` });
      seen.add(name);
    });
  });

export type DatasetHeader = z.output<typeof datasetHeaderSchema>;

export const parseDatasetHeader = makeParser(datasetHeaderSchema, "DATASET_HEADER_INVALID");
