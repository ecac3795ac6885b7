import { definePlugin, type Plugin, type PluginOptions } from "@batchkit/plugin";
import { batchStage } from "./stages/batch.js";
import { initialStage } from "./stages/initial.js";
import { trainMoreStage } from "./stages/train-more.js";
import type { StageSettings } from "./stages/stage-settings.js";

export interface ConversionPluginOptions extends StageSettings {
  logStream?: PluginOptions["logStream"];
}

/** The conversion-prediction plugin: initial (profile), trainMore (fit + model.onnx), batch (Rating). */
export function createConversionPlugin(options: ConversionPluginOptions = {}): Plugin {
  const settings: StageSettings = options.http === undefined ? {} : { http: options.http };
  return definePlugin(
    {
      initial: (ctx) => initialStage(ctx, settings),
      trainMore: (ctx) => trainMoreStage(ctx, settings),
      batch: (ctx) => batchStage(ctx, settings),
    },
    { name: "conversion-prediction", ...(options.logStream === undefined ? {} : { logStream: options.logStream }) },
  );
}

export const plugin = createConversionPlugin();
