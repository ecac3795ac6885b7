export { writeFileAtomic, writeJsonAtomic } from "./atomic-write.js";
export {
  definePlugin,
  runMain,
  type Plugin,
  type PluginOptions,
  type StageContext,
  type StageHandler,
  type StageHandlers,
  type StageOutput,
} from "./define-plugin.js";
export { backtraceOf, errorStatus, PluginError, successStatus, titleFromCode } from "./errors.js";
export { createLogger, formatFields, type LogFields, type Logger, type LoggerOptions } from "./logger.js";
