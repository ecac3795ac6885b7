export { DataJsonWriteError, type DataJsonWriteErrorCode } from "./data-json-error.js";
export {
  openDataJsonWriter,
  type CloseOptions,
  type DataJsonResult,
  type DataJsonWriter,
  type DataJsonWriterOptions,
  type DedupeCandidates,
  type UpdateValue,
} from "./data-json-writer.js";
export { formatNumber } from "./format-value.js";
