import { readDataset, type FeatureSpec, type OpenBodyOptions, type RowBatch } from "@batchkit/io";
import { contract } from "@batchkit/manifest";
import type { Logger } from "@batchkit/plugin";
import type { FeatureEncoding } from "./model/feature-pipeline.js";

/** What every dataset read of a stage shares. */
export interface ReadContext {
  signal?: AbortSignal;
  /** Where the reader may spool a body whose data comes before its metadata (the working directory). */
  tmpDir: string;
  log?: Logger;
  /** HTTP settings (retry policy, timeouts) for the dataset requests. */
  http?: OpenBodyOptions;
  /** Users in the dataset, for progress lines (metadata.datasets[key].fullDatasetSize). */
  expectedRows?: number;
}

/** One dataset to read: its manifest key (for messages) and its URL. */
export interface DatasetRef {
  key: string;
  url: string;
}

/** The dataset's column names, read from the start of its body; the rest of the body is not read. */
export async function readColumns(ref: DatasetRef, context: ReadContext): Promise<string[]> {
  const reader = readDataset(ref.url, { ...readOptions(context), features: [], trackDuplicates: false, batchSize: 1 });
  const iterator = reader[Symbol.asyncIterator]();
  try {
    // The first batch (or the end of an empty dataset) comes after metadata.columns.
    await iterator.next();
  } finally {
    await iterator.return?.();
  }
  return reader.columns;
}

/** The columns that may be features: every column but the ones the platform always sends. */
export function featureColumnsOf(columns: readonly string[]): string[] {
  const reserved = new Set(contract.requiredColumns);
  return columns.filter((column) => !reserved.has(column));
}

/** The reader's feature spec for the model inputs of a pipeline. */
export function readerFeatures(features: readonly FeatureEncoding[]): FeatureSpec[] {
  return features.map((feature) =>
    feature.kind === "categorical"
      ? { column: feature.column, kind: "categorical", categories: [...feature.categories] }
      : { column: feature.column, kind: feature.kind, fill: feature.fill },
  );
}

/**
 * Streams one dataset in batches, logging progress against the expected size. The batch's feature
 * array is reused by the reader: use it before the next iteration step.
 */
export async function forEachBatch(
  ref: DatasetRef,
  context: ReadContext,
  options: { features: FeatureSpec[]; extraColumns: string[]; fill?: number },
  onBatch: (batch: RowBatch) => void,
): Promise<{ rows: number; duplicateUserIds: number }> {
  const reader = readDataset(ref.url, {
    ...readOptions(context),
    features: options.features,
    extraColumns: options.extraColumns,
    trackDuplicates: false,
    ...(options.fill === undefined ? {} : { fill: options.fill }),
  });
  let rows = 0;
  for await (const batch of reader) {
    onBatch(batch);
    rows += batch.rows;
    // The logger throttles progress lines itself.
    context.log?.progress(rows, context.expectedRows, { dataset: ref.key });
  }
  const stats = reader.stats();
  return { rows, duplicateUserIds: stats.duplicateUserIds };
}

function readOptions(context: ReadContext): { signal?: AbortSignal; tmpDir: string; http?: OpenBodyOptions } {
  return {
    tmpDir: context.tmpDir,
    ...(context.signal === undefined ? {} : { signal: context.signal }),
    ...(context.http === undefined ? {} : { http: context.http }),
  };
}
