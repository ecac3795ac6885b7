import { createReadStream, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { stat } from "node:fs/promises";
import { features } from "/work/main/apps/conversion-prediction/bench/slice.mjs";
import { exportLogisticModel } from "/work/main/apps/conversion-prediction/dist/index.js";
const path = "/tmp/cpbench/slice.json";
const size = (await stat(path)).size;
const pipeline = { features: features.map(column => ({ column, kind: "number", fill: 0, center: 0, scale: 1 })) };
const onnx = exportLogisticModel(pipeline, { intercept: 0, weights: new Float64Array(30).fill(0.001), iterations: 0, converged: true });
const server = createServer((req, res) => {
  const u = new URL(req.url, "http://x");
  if (u.pathname === "/slice") { res.writeHead(200, { "content-length": size }); createReadStream(path).pipe(res); }
  else if (u.pathname === "/files/trainMore/model.onnx") res.end(onnx);
  else if (u.pathname.startsWith("/upload_url")) res.end(`http://127.0.0.1:${server.address().port}/storage/data.json?sig=1`);
  else if (req.method === "PUT") { req.resume(); req.on("end", () => res.end()); }
  else { res.writeHead(404).end(); }
});
server.listen(45677, "127.0.0.1");
import { writeFileSync } from "node:fs";
writeFileSync("/tmp/cpbench/manifest.json", JSON.stringify({ stage: "batch", dataUrls: { initial: "http://127.0.0.1:45677/slice?range_start_gt_or_eq=0&range_end_lt=1" }, downloadUrls: { trainMore: "http://127.0.0.1:45677/files/trainMore" }, getUploadUrls: { batch: "http://127.0.0.1:45677/upload_url/batch" }, options: { features, fill: 0 }, metadata: { datasets: { initial: { fullDatasetSize: 10000000 } } } }));
