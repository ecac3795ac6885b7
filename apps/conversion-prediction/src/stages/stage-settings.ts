import type { HttpOptions } from "@batchkit/io";
import type { Manifest } from "@batchkit/manifest";
import type { StageContext } from "@batchkit/plugin";
import type { DatasetRef, ReadContext } from "../dataset-access.js";
import { ConversionPredictionError } from "../errors.js";

/** Settings shared by the stages; tests pass a short retry policy here. */
export interface StageSettings {
  http?: HttpOptions;
  /** The batch stage's reader decode threads; default defaultDecodeThreads() (one less than the CPUs). */
  decodeThreads?: number;
}

export function readContextOf(ctx: StageContext, settings: StageSettings, ref?: DatasetRef): ReadContext {
  const expected = ref === undefined ? undefined : ctx.manifest.metadata.datasets?.[ref.key]?.fullDatasetSize;
  return {
    signal: ctx.signal,
    tmpDir: ctx.cwd,
    log: ctx.log,
    ...(settings.http === undefined ? {} : { http: settings.http }),
    ...(expected === undefined ? {} : { expectedRows: expected }),
  };
}

export function httpOf(ctx: StageContext, settings: StageSettings): HttpOptions {
  return { ...settings.http, signal: ctx.signal };
}

export function datasetRef(manifest: Manifest, key: string, why: string): DatasetRef {
  const url = manifest.dataUrls[key];
  if (url === undefined) {
    const keys = Object.keys(manifest.dataUrls);
    throw new ConversionPredictionError(
      "DATASET_MISSING",
      `manifest.dataUrls has no "${key}" (${why}); it has ${keys.length > 0 ? keys.map((k) => `"${k}"`).join(", ") : "no datasets"}`,
      { hint: "Run the stage with the manifest the platform (or the emulator) generated for it." },
    );
  }
  return { key, url };
}

export function uploadUrlOf(manifest: Manifest, stage: string, file: string): string {
  const url = manifest.getUploadUrls[stage];
  if (url === undefined) {
    throw new ConversionPredictionError(
      "UPLOAD_URL_MISSING",
      `manifest.getUploadUrls has no "${stage}" key, so ${file} cannot be uploaded`,
      { hint: `Run the ${stage} stage with the manifest the platform (or the emulator) generated for it.` },
    );
  }
  return url;
}
