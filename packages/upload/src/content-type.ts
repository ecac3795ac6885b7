import { extname } from "node:path";

const TYPES: Record<string, string> = {
  ".json": "application/json",
  ".onnx": "application/octet-stream",
  ".csv": "text/csv",
  ".txt": "text/plain; charset=utf-8",
  ".gz": "application/gzip",
  ".zip": "application/zip",
  ".parquet": "application/vnd.apache.parquet",
  ".pb": "application/x-protobuf",
  ".bin": "application/octet-stream",
  ".html": "text/html; charset=utf-8",
  ".png": "image/png",
};

/** The Content-Type a file is uploaded with, by its extension; unknown ones are plain bytes. */
export function contentTypeFor(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}
