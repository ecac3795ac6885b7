import { definePlugin, type Plugin, type PluginOptions } from "@batchkit/plugin";
import type { StageSettings } from "./stages/stage-settings.js";

export interface ConversionPluginOptions extends StageSettings {
  logStream?: PluginOptions["logStream"];
}

/**
 * The conversion-prediction plugin: initial (profile), trainMore (fit + model.onnx), batch (Rating).
 * Each stage's code is imported when it runs: a batch process, started once per slice, does not load
 * the training and protobuf code, and the initial stage does not load onnxruntime.
 */
export function createConversionPlugin(options: ConversionPluginOptions = {}): Plugin {
  const settings: StageSettings = options.http === undefined ? {} : { http: options.http };
  return definePlugin(
    {
      initial: async (ctx) => (await import("./stages/initial.js")).initialStage(ctx, settings),
      trainMore: async (ctx) => (await import("./stages/train-more.js")).trainMoreStage(ctx, settings),
      batch: async (ctx) => (await import("./stages/batch.js")).batchStage(ctx, settings),
    },
    { name: "conversion-prediction", ...(options.logStream === undefined ? {} : { logStream: options.logStream }) },
  );
}

export const plugin = createConversionPlugin();
