import { z } from "zod";
import { makeParser } from "./issues.js";

/** A user id exactly as the dataset gives it: a string or a number. */
export const userIdSchema = z.union([z.string().min(1), z.number()]);
export const propertyValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** [doc] data.json: the user properties a batch sets. Each update is `[user_id, ...one value per property]`. */
export const dataJsonSchema = z
  .looseObject({
    category: z.string().min(1).optional(),
    properties: z.array(z.string().min(1)).min(1),
    updates: z.array(z.array(propertyValueSchema)),
  })
  .superRefine((doc, ctx) => {
    const seen = new Set<string>();
    doc.properties.forEach((name, i) => {
      if (seen.has(name)) ctx.addIssue({ code: "custom", path: ["properties", i], message: `duplicates the property name ${JSON.stringify(name)}` });
      seen.add(name);
    });
    const width = doc.properties.length + 1;
    doc.updates.forEach((row, i) => {
      if (row.length !== width) {
        ctx.addIssue({
          code: "custom",
          path: ["updates", i],
          message: `must have ${width} elements (user_id and ${doc.properties.length} value${width === 2 ? "" : "s"}), got ${row.length}`,
        });
      } else if (!userIdSchema.safeParse(row[0]).success) {
        ctx.addIssue({ code: "custom", path: ["updates", i, 0], message: `must be a user id (a non-empty string or a number), got ${JSON.stringify(row[0])}` });
      }
    });
  });

export type DataJson = z.output<typeof dataJsonSchema>;
export type UserId = z.output<typeof userIdSchema>;
export type PropertyValue = z.output<typeof propertyValueSchema>;

export const parseDataJson = makeParser(dataJsonSchema, "DATA_JSON_INVALID");
