import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { parseManifest } from "@batchkit/manifest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Emulator } from "../src/emulator.js";
import { COLUMNS } from "../src/demo-schema.js";
import { devHeaders, rawRequest } from "./helpers/http.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await Emulator.start({ users: 3000, seed: 7 });
});
afterAll(async () => {
  await emu.stop();
});

async function readyManifest(stage: string, query = ""): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200; i++) {
    const res = await rawRequest(`${emu.url}/api/developer/get_manifest/${stage}${query}`, { headers: devHeaders(emu.keys) });
    if (res.status === 200) return JSON.parse(res.body.toString()) as Record<string, unknown>;
    expect(res.status).toBe(202);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("manifest never became ready");
}

describe("developer endpoints", () => {
  it("answer 401 to missing or wrong keys", async () => {
    const wrong = { projectKey: emu.keys.projectKey, datasetKey: "nope" };
    for (const headers of [{}, devHeaders(wrong), devHeaders({ projectKey: "x", datasetKey: emu.keys.datasetKey })]) {
      const post = await rawRequest(`${emu.url}/api/developer/initial_dataset/0_sec`, { method: "POST", headers });
      expect(post.status).toBe(401);
      const get = await rawRequest(`${emu.url}/api/developer/get_manifest/initial`, { headers });
      expect(get.status).toBe(401);
    }
  });

  it("refuse an unknown initial dataset kind", async () => {
    const res = await rawRequest(`${emu.url}/api/developer/initial_dataset/yesterday`, { method: "POST", headers: devHeaders(emu.keys) });
    expect(res.status).toBe(400);
    expect(res.body.toString()).toContain("0_sec");
  });

  it("prepare the initial dataset, then answer manifests that follow the contract", async () => {
    const post = await rawRequest(`${emu.url}/api/developer/initial_dataset/0_sec`, { method: "POST", headers: devHeaders(emu.keys) });
    expect([200, 202]).toContain(post.status);
    const initial = parseManifest(await readyManifest("initial"));
    if (!initial.ok) throw initial.error;
    expect(initial.value.stage).toBe("initial");
    expect(Object.keys(initial.value.dataUrls)).toEqual(["initial"]);
    expect(Object.keys(initial.value.getUploadUrls)).toEqual(["initial"]);
    expect(initial.value.downloadUrls).toEqual({});
    expect(initial.value.metadata.datasets?.["initial"]?.fullDatasetSize).toBe(3000);
    expect(Object.keys(initial.value.metadata.features ?? {})).toHaveLength(COLUMNS.length - 9);

    const batch = parseManifest(await readyManifest("batch", "?maxBatchSize=1000&datasets=train_0&options=%7B%22a%22%3A1%7D"));
    if (!batch.ok) throw batch.error;
    expect(Object.keys(batch.value.dataUrls).sort()).toEqual(["initial", "latest", "train_0"]);
    expect(batch.value.options).toEqual({ a: 1 });
    expect(Object.keys(batch.value.downloadUrls)).toEqual(["initial", "trainMore"]);
    expect(Object.keys(batch.value.getUploadUrls)).toEqual(["batch"]);
    for (const url of Object.values(batch.value.dataUrls)) {
      const q = new URL(url).searchParams;
      expect(q.get("range_start_gt_or_eq")).toBe("0");
      expect(Number(q.get("range_end_lt"))).toBeGreaterThan(0);
    }
    // The first batch of 1000 users: exactly 1000 rows.
    const body = JSON.parse((await rawRequest(batch.value.dataUrls["latest"] as string)).body.toString()) as { data: unknown[] };
    expect(body.data).toHaveLength(1000);
  });
});

describe("developer manifests for other stages", () => {
  it("give a stage its requested datasets, the earlier stages' downloads and its own upload URL", async () => {
    const m = parseManifest(await readyManifest("trainMore", "?datasets=train_0,train_6270"));
    if (!m.ok) throw m.error;
    expect(Object.keys(m.value.dataUrls)).toEqual(["initial", "train_0", "train_6270"]);
    expect(m.value.metadata.datasets?.["train_6270"]?.moment).toEqual({ type: "since", seconds: 6270 });
    expect(Object.keys(m.value.downloadUrls)).toEqual(["initial"]);
    expect(Object.keys(m.value.getUploadUrls)).toEqual(["trainMore"]);
  });

  it("answer 400 to a dataset key without a moment, bad options or a bad stage name", async () => {
    const headers = devHeaders(emu.keys);
    await readyManifest("initial");
    expect((await rawRequest(`${emu.url}/api/developer/get_manifest/trainMore?datasets=whenever`, { headers })).status).toBe(400);
    expect((await rawRequest(`${emu.url}/api/developer/get_manifest/batch?options=%5B1%5D`, { headers })).status).toBe(400);
    expect((await rawRequest(`${emu.url}/api/developer/get_manifest/a%20b`, { headers })).status).toBe(400);
  });
});

describe("datasets", () => {
  const url = (): string => `${emu.url}/api/plugin/query_dataset/${emu.datasets.register("latest", { type: "latest", seconds: 0 }).id}`;

  it("serve every user once, with the platform's columns and a correct Content-Length", async () => {
    const res = await rawRequest(url());
    expect(res.status).toBe(200);
    expect(Number(res.headers["content-length"])).toBe(res.body.length);
    const doc = JSON.parse(res.body.toString()) as { metadata: { columns: string[] }; data: unknown[][] };
    expect(doc.metadata.columns).toEqual(COLUMNS);
    expect(doc.data).toHaveLength(3000);
    const ids = new Set(doc.data.map((r) => r[0]));
    expect(ids.size).toBe(3000);
    const yAt = doc.metadata.columns.indexOf("y_value");
    expect(new Set(doc.data.map((r) => r[yAt]))).toEqual(new Set(["true", "false"]));
    for (const row of doc.data) expect(row).toHaveLength(COLUMNS.length);
  });

  it("filter by random with start inclusive and end exclusive", async () => {
    const r = emu.project.randoms;
    const start = r[500] as number;
    const end = r[1500] as number;
    const res = await rawRequest(`${url()}?range_start_gt_or_eq=${start}&range_end_lt=${end}`);
    const doc = JSON.parse(res.body.toString()) as { metadata: { columns: string[] }; data: unknown[][] };
    const at = doc.metadata.columns.indexOf("random");
    expect(doc.data).toHaveLength(1000);
    expect(doc.data[0]?.[at]).toBe(start);
    for (const row of doc.data) {
      expect(row[at] as number).toBeGreaterThanOrEqual(start);
      expect(row[at] as number).toBeLessThan(end);
    }
    const empty = JSON.parse((await rawRequest(`${url()}?range_start_gt_or_eq=0.5&range_end_lt=0.5`)).body.toString()) as { data: unknown[] };
    expect(empty.data).toEqual([]);
  });

  it("give the same bytes for the same request, gzip when asked", async () => {
    const a = await rawRequest(`${url()}?range_start_gt_or_eq=0.1&range_end_lt=0.6`);
    const b = await rawRequest(`${url()}?range_start_gt_or_eq=0.1&range_end_lt=0.6`);
    const sha = (x: Buffer): string => createHash("sha256").update(x).digest("hex");
    expect(sha(a.body)).toBe(sha(b.body));
    const z = await rawRequest(`${url()}?range_start_gt_or_eq=0.1&range_end_lt=0.6`, { headers: { "Accept-Encoding": "gzip, br" } });
    expect(z.headers["content-encoding"]).toBe("gzip");
    expect(z.body.length).toBeLessThan(a.body.length);
    expect(sha(gunzipSync(z.body))).toBe(sha(a.body));
  });

  it("carry the dataset's moment in moment_key and moment_timestamp", async () => {
    const ref = emu.datasets.register("train_6270", { type: "since", seconds: 6270 });
    const doc = JSON.parse((await rawRequest(`${emu.url}/api/plugin/query_dataset/${ref.id}?range_end_lt=0.05`)).body.toString()) as {
      metadata: { columns: string[] };
      data: unknown[][];
    };
    const at = (c: string): number => doc.metadata.columns.indexOf(c);
    expect(doc.data.length).toBeGreaterThan(50);
    for (const row of doc.data) {
      expect(row[at("moment_key")]).toBe("since_6270");
      const base = Date.parse(row[at("user_moment_base_timestamp")] as string);
      const moment = Date.parse(row[at("moment_timestamp")] as string);
      const now = Date.parse(row[at("data_now")] as string);
      expect(moment).toBe(Math.min(now, base + 6270_000));
    }
  });

  it("answer 400 to a bad range and 404 to an unknown dataset", async () => {
    expect((await rawRequest(`${url()}?range_start_gt_or_eq=abc`)).status).toBe(400);
    expect((await rawRequest(`${url()}?range_end_lt=`)).status).toBe(400);
    expect((await rawRequest(`${emu.url}/api/plugin/query_dataset/nope`)).status).toBe(404);
  });
});

describe("storage", () => {
  async function signedPutUrl(prefix: string, path: string): Promise<string> {
    const res = await rawRequest(`${emu.uploadUrl(prefix)}/${path}`);
    expect(res.status).toBe(200);
    return res.body.toString();
  }

  it("answers a signed URL as plain text and stores a PUT for download", async () => {
    const signed = await signedPutUrl("initial", "dir/model.bin");
    expect(signed).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/storage\/.+\?.*X-Amz-Signature=[0-9a-f]{64}/);
    const body = Buffer.from("0123456789abcdef");
    const put = await rawRequest(signed, { method: "PUT", body, headers: { "Content-Length": String(body.length) } });
    expect(put.status).toBe(200);
    const get = await rawRequest(`${emu.downloadUrl("initial")}/dir/model.bin`);
    expect(get.status).toBe(200);
    expect(get.headers["accept-ranges"]).toBe("bytes");
    expect(get.body.toString()).toBe("0123456789abcdef");

    const part = await rawRequest(`${emu.downloadUrl("initial")}/dir/model.bin`, { headers: { Range: "bytes=4-7" } });
    expect(part.status).toBe(206);
    expect(part.headers["content-range"]).toBe("bytes 4-7/16");
    expect(part.body.toString()).toBe("4567");
    const tail = await rawRequest(`${emu.downloadUrl("initial")}/dir/model.bin`, { headers: { Range: "bytes=-3" } });
    expect(tail.body.toString()).toBe("def");
    const open = await rawRequest(`${emu.downloadUrl("initial")}/dir/model.bin`, { headers: { Range: "bytes=10-" } });
    expect(open.body.toString()).toBe("abcdef");
    const beyond = await rawRequest(`${emu.downloadUrl("initial")}/dir/model.bin`, { headers: { Range: "bytes=99-" } });
    expect(beyond.status).toBe(416);
  });

  it("answers 404 for a missing file and 400 for an unsafe path", async () => {
    const missing = await rawRequest(`${emu.downloadUrl("initial")}/nothing-here.onnx`);
    expect(missing.status).toBe(404);
    expect(missing.body.toString()).toContain("<Code>NoSuchKey</Code>");
    // (A literal /../ never arrives: URL parsers collapse it. Encoded separators and NUL do.)
    expect((await rawRequest(`${emu.uploadUrl("initial")}/a%2F..%2Fb`)).status).toBe(400);
    expect((await rawRequest(`${emu.uploadUrl("initial")}/a%5C..%5Cb`)).status).toBe(400);
    expect((await rawRequest(`${emu.uploadUrl("initial")}/a%00`)).status).toBe(400);
    expect((await rawRequest(`${emu.downloadUrl("initial")}/..%2F..%2Fdatasets`)).status).toBe(400);
    expect((await rawRequest(`${emu.uploadUrl("initial")}/a//b`)).status).toBe(400);
  });

  it("refuses a PUT with a bad signature (403 SignatureDoesNotMatch) and keeps nothing", async () => {
    const signed = await signedPutUrl("initial", "forged.txt");
    const forged = signed.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === "0" ? "1" : "0"}`);
    const put = await rawRequest(forged, { method: "PUT", body: "x", headers: { "Content-Length": "1" } });
    expect(put.status).toBe(403);
    expect(put.body.toString()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>',
    );
    // Signed for another path.
    const other = signed.replace("forged.txt", "other.txt");
    expect((await rawRequest(other, { method: "PUT", body: "x", headers: { "Content-Length": "1" } })).status).toBe(403);
    expect((await rawRequest(`${emu.downloadUrl("initial")}/forged.txt`)).status).toBe(404);
  });

  it("requires Content-Length (411)", async () => {
    const signed = await signedPutUrl("initial", "chunked.txt");
    const put = await rawRequest(signed, { method: "PUT", body: "abc", chunked: true });
    expect(put.status).toBe(411);
    expect(put.body.toString()).toContain("<Code>MissingContentLength</Code>");
  });
});

describe("a developer batch", () => {
  it("has its uploaded data.json checked against the slice of its manifest", async () => {
    const m = parseManifest(await readyManifest("batch", "?maxBatchSize=1000"));
    if (!m.ok) throw m.error;
    const slice = JSON.parse((await rawRequest(m.value.dataUrls["latest"] as string)).body.toString()) as { data: unknown[][] };
    const upload = async (updates: unknown[][]): Promise<string> => {
      const before = emu.developer.lastCheck;
      const body = JSON.stringify({ category: "Predictions", properties: ["Rating"], updates });
      const signed = (await rawRequest(`${m.value.getUploadUrls["batch"]}/data.json`)).body.toString();
      expect((await rawRequest(signed, { method: "PUT", body, headers: { "Content-Length": String(Buffer.byteLength(body)) } })).status).toBe(200);
      for (let i = 0; i < 200 && emu.developer.lastCheck === before; i++) await new Promise((r) => setTimeout(r, 10));
      return emu.developer.lastCheck ?? "";
    };
    const all = slice.data.map((row) => [row[0], 0.5]);
    expect(await upload(all)).toMatch(/^data\.json check: ok, 1000 of 1000 users of batch 1 \[range_start_gt_or_eq=0, range_end_lt=[\d.]+\) scored exactly once \(Rating\)$/);
    expect(await upload(all.slice(1))).toContain("data.json check FAILED: batch 1");
  });
});

describe("the request log", () => {
  it("names each request without its signed query string", async () => {
    const lines: string[] = [];
    const logged = await Emulator.start({ users: 10, log: (l) => lines.push(l) });
    try {
      const signed = (await rawRequest(`${logged.uploadUrl("initial")}/a.txt`)).body.toString();
      expect(signed).toContain("X-Amz-Signature=");
      expect((await rawRequest(signed, { method: "PUT", body: "x", headers: { "Content-Length": "1" } })).status).toBe(200);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatch(/^PUT http:\/\/127\.0\.0\.1:\d+\/storage\/.+\/initial\/a\.txt\?…$/);
      expect(lines.join("\n")).not.toContain("X-Amz");
    } finally {
      await logged.stop();
    }
  });
});

describe("expired signed URLs", () => {
  it("answer 403 AccessDenied / Request has expired once the lifetime is over", async () => {
    const short = await Emulator.start({ users: 10, signedUrlSeconds: 0 });
    try {
      const signed = (await rawRequest(`${short.uploadUrl("initial")}/late.txt`)).body.toString();
      // X-Amz-Date has whole seconds: 1.1 s later a zero lifetime is over whatever the rounding.
      await new Promise((r) => setTimeout(r, 1100));
      const put = await rawRequest(signed, { method: "PUT", body: "x", headers: { "Content-Length": "1" } });
      expect(put.status).toBe(403);
      expect(put.body.toString()).toContain("<Code>AccessDenied</Code><Message>Request has expired</Message>");
    } finally {
      await short.stop();
    }
  });
});
