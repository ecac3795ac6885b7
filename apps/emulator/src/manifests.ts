/** Builds stage manifests the way the platform lays them out (platform.md, "Manifest"). */
import { contract, type Manifest } from "@batchkit/manifest";
import type { DatasetRef } from "./datasets.js";
import { featureMetadata, GOAL } from "./demo-schema.js";

export interface ManifestInput {
  stage: string;
  /** Origin of the emulator, e.g. http://127.0.0.1:4100. */
  baseUrl: string;
  users: number;
  datasets: readonly DatasetRef[];
  /** The batch stage's `random` range, appended to every data URL. */
  range?: { start: number; end: number };
  /** Stage name -> download base URL, for every stage that ran before. */
  downloadUrls: Record<string, string>;
  /** The upload URL of the current stage (its key is the stage name). */
  uploadUrl: string;
  inputParams?: Record<string, unknown>;
  options?: Record<string, unknown>;
}

/** A range bound as the query string carries it: the shortest text that round-trips the double. */
export function formatBound(x: number): string {
  return String(x);
}

export function buildManifest(input: ManifestInput): Manifest {
  const dataUrls: Record<string, string> = {};
  const datasets: Record<string, { fullDatasetSize: number; moment: { type: string; seconds: number } }> = {};
  for (const ref of input.datasets) {
    let url = `${input.baseUrl}/api/plugin/query_dataset/${ref.id}`;
    if (input.range !== undefined) {
      url += `?${contract.rangeStartParam}=${formatBound(input.range.start)}&${contract.rangeEndParam}=${formatBound(input.range.end)}`;
    }
    dataUrls[ref.key] = url;
    datasets[ref.key] = { fullDatasetSize: input.users, moment: { ...ref.moment } };
  }
  return {
    stage: input.stage,
    dataUrls,
    downloadUrls: { ...input.downloadUrls },
    getUploadUrls: { [input.stage]: input.uploadUrl },
    inputData: {},
    inputParams: { ...(input.inputParams ?? {}) },
    options: { ...(input.options ?? {}) },
    metadata: { datasets, goal: { ...GOAL }, features: featureMetadata(0) },
  };
}
