import { request } from "node:http";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A plain node:http request that reports a reset instead of hiding it (undici/fetch would retry or wrap). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string; chunked?: boolean } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("aborted", () => reject(new Error("aborted")));
      res.on("end", () => {
        if (!res.complete) reject(new Error("incomplete body"));
        else resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.on("error", reject);
    if (options.body !== undefined) {
      if (options.chunked === true) req.setHeader("Transfer-Encoding", "chunked");
      req.end(options.body);
    } else req.end();
  });
}

export const devHeaders = (keys: { projectKey: string; datasetKey: string }): Record<string, string> => ({
  "X-Project-Key": keys.projectKey,
  "X-Dataset-Key": keys.datasetKey,
});
