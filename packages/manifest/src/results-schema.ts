import { z } from "zod";
import { contract } from "./contract.js";
import { makeParser } from "./issues.js";
import { momentSchema } from "./manifest-schema.js";

export const statusSchema = z.looseObject({
  code: z.enum([contract.successCode, contract.errorCode]),
  title: z.string().nullable().default(null),
  explanation: z.string().nullable().default(null),
  backtrace: z.string().nullable().default(null),
});

/** [doc] `batches`: makes a plugin a batch updating plugin. */
export const batchesSchema = z.looseObject({
  maxBatchSize: z.int().min(contract.minMaxBatchSize).max(contract.maxMaxBatchSize).default(contract.defaultMaxBatchSize),
  options: z.record(z.string(), z.unknown()).optional(),
});

/** [choice] How the initial stage asks for more stages and their datasets (read by the emulator). */
export const stagesRequestSchema = z.record(
  z.string().min(1),
  z.looseObject({
    datasets: z.record(z.string().min(1), z.looseObject({ moment: momentSchema })).default({}),
  }),
);

export const resultsSchema = z.looseObject({
  status: statusSchema,
  data: z.unknown().optional(),
  batches: batchesSchema.optional(),
  stages: stagesRequestSchema.optional(),
});

export type Status = z.output<typeof statusSchema>;
export type Batches = z.output<typeof batchesSchema>;
export type BatchesInput = z.input<typeof batchesSchema>;
export type StagesRequest = z.output<typeof stagesRequestSchema>;
export type Results = z.output<typeof resultsSchema>;

export const parseResults = makeParser(resultsSchema, "RESULTS_INVALID");
export const parseBatches = makeParser(batchesSchema, "RESULTS_INVALID");
export const parseStagesRequest = makeParser(stagesRequestSchema, "RESULTS_INVALID");
