// Decoded MB/s of openBody from a loopback server, beside plain undici as the ceiling.
// The server runs in a worker thread so it does not share the measuring thread's event loop.
// Run: pnpm exec tsc -p tsconfig.build.json && node bench/http-throughput.mjs [MB] [runs]
import { Worker } from "node:worker_threads";
import { Writable } from "node:stream";
import { request, stream, Agent } from "undici";
import { openBody } from "../dist/index.js";

const sizeMb = Number(process.argv[2] ?? 57);
const runs = Number(process.argv[3] ?? 7);

const serverCode = `
const { createServer } = require("node:http");
const { gzipSync } = require("node:zlib");
const { parentPort, workerData } = require("node:worker_threads");
// A dataset-like JSON body: rows of ids, timestamps and numbers.
const rows = [];
let size = 0, i = 0;
while (size < workerData.bytes) {
  const row = '["user_' + i + '","2026-01-0' + (1 + (i % 9)) + 'T10:00:00Z","true",' + ((i * 7919) % 10007) / 10007 + ',' + (i % 13) + ',null],';
  rows.push(row); size += row.length; i++;
}
const body = Buffer.from('{"metadata":{"columns":["user_id","t","y","random","f","g"]},"data":[' + rows.join("").slice(0, -1) + ']}');
const gz = gzipSync(body, { level: 6 });
createServer((req, res) => {
  const useGzip = req.url === "/gzip";
  const payload = useGzip ? gz : body;
  const h = { "content-length": String(payload.length), "content-type": "application/json", etag: '"b1"', "accept-ranges": "bytes" };
  if (useGzip) h["content-encoding"] = "gzip";
  res.writeHead(200, h);
  res.end(payload);
}).listen(0, "127.0.0.1", function () { parentPort.postMessage({ port: this.address().port, bytes: body.length, gz: gz.length }); });
`;

const worker = new Worker(serverCode, { eval: true, workerData: { bytes: sizeMb * 1e6 } });
const { port, bytes, gz } = await new Promise((r) => worker.once("message", r));
const base = `http://127.0.0.1:${port}`;
const dispatcher = new Agent();

const variants = {
  "undici stream() -> Writable (ceiling)": async () => {
    let n = 0;
    await stream(`${base}/plain`, { dispatcher, method: "GET" }, () => new Writable({ write(c, _e, cb) { n += c.length; cb(); } }));
    return n;
  },
  "undici request() + on('data')": async () => {
    const { body } = await request(`${base}/plain`, { dispatcher });
    let n = 0;
    await new Promise((resolve, reject) => { body.on("data", (c) => { n += c.length; }); body.on("end", resolve); body.on("error", reject); });
    return n;
  },
  "undici request() + for await": async () => {
    const { body } = await request(`${base}/plain`, { dispatcher });
    let n = 0;
    for await (const c of body) n += c.length;
    return n;
  },
  "openBody identity, for await": async () => {
    let n = 0;
    for await (const c of openBody(`${base}/plain?sig=x`, { dispatcher })) n += c.length;
    return n;
  },
  "openBody gzip (decoded bytes), for await": async () => {
    let n = 0;
    for await (const c of openBody(`${base}/gzip`, { dispatcher })) n += c.length;
    return n;
  },
};

const results = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (const fn of Object.values(variants)) await fn(); // warm-up: connections, JIT
for (let r = 0; r < runs; r++) {
  for (const [name, fn] of Object.entries(variants)) {
    const t = performance.now();
    const n = await fn();
    const ms = performance.now() - t;
    if (n !== bytes) throw new Error(`${name}: got ${n} bytes, expected ${bytes}`);
    results[name].push(bytes / 1e6 / (ms / 1000));
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const ceiling = median(results["undici stream() -> Writable (ceiling)"]);
console.log(`body ${(bytes / 1e6).toFixed(1)} MB (gzip ${(gz / 1e6).toFixed(1)} MB), ${runs} runs each, interleaved; node ${process.version}`);
console.log("| client | median MB/s (decoded) | min | max | vs stream() |");
console.log("| --- | --- | --- | --- | --- |");
for (const [name, xs] of Object.entries(results)) {
  const m = median(xs);
  console.log(`| ${name} | ${m.toFixed(0)} | ${Math.min(...xs).toFixed(0)} | ${Math.max(...xs).toFixed(0)} | ${(m / ceiling).toFixed(2)} |`);
}
// Why openBody's decoder uses chunkSize 256 KiB: the same gzip body decoded in memory, side by side.
const { createGunzip, gzipSync } = await import("node:zlib");
const sample = Buffer.alloc(bytes);
{
  // Refetch the body once to decode the same bytes the server sends.
  let off = 0;
  for await (const c of openBody(`${base}/plain`, { dispatcher })) { c.copy(sample, off); off += c.length; }
}
const packed = gzipSync(sample);
const zlibResults = {};
for (let r = 0; r < runs; r++) {
  for (const chunkSize of [64 * 1024, 256 * 1024, 1024 * 1024]) {
    const t = performance.now();
    const d = createGunzip({ chunkSize });
    let n = 0;
    await new Promise((resolve, reject) => {
      d.on("data", (c) => { n += c.length; });
      d.on("end", resolve);
      d.on("error", reject);
      for (let o = 0; o < packed.length; o += 65536) d.write(packed.subarray(o, o + 65536));
      d.end();
    });
    (zlibResults[chunkSize] ??= []).push(n / 1e6 / ((performance.now() - t) / 1000));
  }
}
console.log("");
console.log("| gunzip in memory, chunkSize | median MB/s (decoded) | vs 64 KiB |");
console.log("| --- | --- | --- |");
const base64k = median(zlibResults[65536]);
for (const [cs, xs] of Object.entries(zlibResults)) {
  console.log(`| ${Number(cs) / 1024} KiB | ${median(xs).toFixed(0)} | ${(median(xs) / base64k).toFixed(2)} |`);
}
await dispatcher.close();
await worker.terminate();
