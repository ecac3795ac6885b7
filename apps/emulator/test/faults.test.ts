import { afterEach, describe, expect, it } from "vitest";
import { Emulator } from "../src/emulator.js";
import { FaultInjector, type FaultOptions } from "../src/faults.js";
import { rawRequest } from "./helpers/http.js";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function start(faults: FaultOptions, users = 2000): Promise<{ emu: Emulator; url: string }> {
  emu = await Emulator.start({ users, seed: 3, faults });
  const ref = emu.datasets.register("latest", { type: "latest", seconds: 0 });
  await emu.datasets.file(ref);
  return { emu, url: `${emu.url}/api/plugin/query_dataset/${ref.id}` };
}

describe("fault options", () => {
  it("refuse rates outside 0..1", () => {
    expect(() => new FaultInjector({ rate5xx: 1.5 })).toThrow(/5xx-rate must be a number in 0..1/);
    expect(() => new FaultInjector({ resetRate: -0.1 })).toThrow(/reset-rate/);
  });

  it("describe what is on", () => {
    expect(new FaultInjector().describe()).toBe("none");
    expect(new FaultInjector({ rate429: 0.5, retryAfterSeconds: 2, expiredUrls: true }).describe()).toBe(
      "429 0.5 (Retry-After 2s), expired signed URLs",
    );
  });
});

describe("faults on the wire", () => {
  it("5xx: answers 503 at rate 1, on datasets, upload URLs, uploads and downloads", async () => {
    const { emu, url } = await start({ rate5xx: 1 });
    expect((await rawRequest(url)).status).toBe(503);
    expect((await rawRequest(`${emu.uploadUrl("initial")}/a.txt`)).status).toBe(503);
    expect((await rawRequest(`${emu.downloadUrl("initial")}/a.txt`)).status).toBe(503);
    expect(emu.faults.counts.status5xx).toBe(3);
  });

  it("5xx at a rate answers some requests and serves the others in full", async () => {
    const { emu, url } = await start({ rate5xx: 0.5, seed: 11 });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await rawRequest(url)).status);
    expect(statuses).toContain(503);
    expect(statuses).toContain(200);
    expect(statuses.filter((s) => s === 503)).toHaveLength(emu.faults.counts.status5xx);
  });

  it("429: carries Retry-After", async () => {
    const { url } = await start({ rate429: 1, retryAfterSeconds: 3 });
    const res = await rawRequest(url);
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toBe("3");
  });

  it("reset: the connection dies midway through the body", async () => {
    const { emu, url } = await start({ resetRate: 1 });
    await expect(rawRequest(url)).rejects.toThrow();
    expect(emu.faults.counts.resets).toBe(1);
  });

  it("reset: downloads die midway too", async () => {
    const { emu } = await start({ resetRate: 0 });
    const body = Buffer.alloc(1 << 20, 1);
    const signed = (await rawRequest(`${emu.uploadUrl("initial")}/big.bin`)).body.toString();
    expect((await rawRequest(signed, { method: "PUT", body, headers: { "Content-Length": String(body.length) } })).status).toBe(200);
    (emu.faults as { resetRate: number }).resetRate = 1;
    await expect(rawRequest(`${emu.downloadUrl("initial")}/big.bin`)).rejects.toThrow();
  });

  it("slow: the body still arrives whole and the stall is counted", async () => {
    const { emu, url } = await start({ slowMs: 30 });
    const res = await rawRequest(url);
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body.toString()) as { data: unknown[] }).data).toHaveLength(2000);
    expect(emu.faults.counts.slowBodies).toBe(1);
  });

  it("duplicate rows: some users of the slice come twice, nobody else", async () => {
    const { emu, url } = await start({ duplicateRows: 0.05 });
    const r = emu.project.randoms;
    const res = await rawRequest(`${url}?range_start_gt_or_eq=${r[100]}&range_end_lt=${r[1100]}`);
    const doc = JSON.parse(res.body.toString()) as { data: unknown[][] };
    expect(doc.data).toHaveLength(1050);
    const ids = doc.data.map((row) => row[0] as string);
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) {
      const index = emu.project.userIndex(id);
      expect(index).toBeGreaterThanOrEqual(100);
      expect(index).toBeLessThan(1100);
    }
    expect(emu.faults.counts.duplicateRows).toBe(50);
  });

  it("expired URLs: the first signed URL of a file is expired, the next one works", async () => {
    const { emu } = await start({ expiredUrls: true });
    const first = (await rawRequest(`${emu.uploadUrl("initial")}/x.txt`)).body.toString();
    const put1 = await rawRequest(first, { method: "PUT", body: "x", headers: { "Content-Length": "1" } });
    expect(put1.status).toBe(403);
    expect(put1.body.toString()).toContain("<Message>Request has expired</Message>");
    const second = (await rawRequest(`${emu.uploadUrl("initial")}/x.txt`)).body.toString();
    const put2 = await rawRequest(second, { method: "PUT", body: "x", headers: { "Content-Length": "1" } });
    expect(put2.status).toBe(200);
    expect(emu.faults.counts.expiredUrls).toBe(1);
  });
});
