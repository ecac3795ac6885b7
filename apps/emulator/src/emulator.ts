/**
 * The emulator: one node:http server on 127.0.0.1 that plays the platform's side of platform.md for one
 * demo project (developer endpoints, datasets, signed storage), with faults on demand.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redactUrl } from "@batchkit/manifest";
import { serveDataset, parseRange } from "./dataset-stream.js";
import { Datasets } from "./datasets.js";
import { DemoProject } from "./demo-project.js";
import { COLUMNS } from "./demo-schema.js";
import { FaultInjector, type FaultOptions } from "./faults.js";
import { checkDeveloperBatch, type DeveloperSession, getManifest, postInitialDataset } from "./developer-endpoints.js";
import { hash32 } from "./random.js";
import { UrlSigner } from "./signing.js";
import { Storage, safeSegments } from "./storage.js";

export interface EmulatorOptions {
  /** Demo users (default 100,000, at most 10,000,000). */
  users?: number;
  /** Seed of the demo data (default 42). */
  seed?: number;
  /** Port on 127.0.0.1 (default 0: a free port). */
  port?: number;
  /** Datasets, storage and runs live here (default: a new folder under os.tmpdir(), removed on stop). */
  workDir?: string;
  faults?: FaultOptions;
  projectKey?: string;
  datasetKey?: string;
  /** Lifetime of signed upload URLs in seconds (default 3600). */
  signedUrlSeconds?: number;
  /** One line per request (URLs redacted); default silent. */
  log?: (line: string) => void;
}

export interface EmulatorKeys {
  projectKey: string;
  datasetKey: string;
}

const JSON_HEADERS = { "Content-Type": "application/json" };

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export class Emulator {
  readonly project: DemoProject;
  readonly projectId: string;
  readonly keys: EmulatorKeys;
  readonly faults: FaultInjector;
  readonly datasets: Datasets;
  readonly storage: Storage;
  readonly workDir: string;
  private readonly signer = new UrlSigner();
  private readonly server: Server;
  private readonly ownsWorkDir: boolean;
  private readonly signedUrlSeconds: number;
  private readonly log: ((line: string) => void) | undefined;
  /** Upload scope id -> storage key prefix (project/stage[/batch]). */
  private readonly uploadScopes = new Map<string, string>();
  private readonly scopeIds = new Map<string, string>();
  /** Storage keys that already got their one expired URL (fault `expiredUrls`). */
  private readonly expiredIssued = new Set<string>();
  /** Developer session: the initial dataset's moment once POSTed. */
  readonly developer: DeveloperSession = {};
  private baseUrl = "";
  /** Requests served, by route, for the summary and tests. */
  readonly requests = { datasets: 0, uploadUrls: 0, uploads: 0, downloads: 0, developer: 0 };

  private constructor(options: EmulatorOptions, workDir: string, ownsWorkDir: boolean) {
    this.project = new DemoProject({ users: options.users ?? 100_000, seed: options.seed ?? 42 });
    this.workDir = workDir;
    this.ownsWorkDir = ownsWorkDir;
    const salt = hash32(this.project.seed ^ 0x51ed27);
    this.projectId = `p${salt.toString(16).padStart(8, "0")}`;
    this.keys = {
      projectKey: options.projectKey ?? randomBytes(6).toString("hex"),
      datasetKey: options.datasetKey ?? randomBytes(10).toString("hex"),
    };
    this.faults = new FaultInjector(options.faults);
    this.datasets = new Datasets(this.project, join(workDir, "datasets"), salt);
    this.storage = new Storage(join(workDir, "storage"), this.signer);
    this.signedUrlSeconds = options.signedUrlSeconds ?? 3600;
    this.log = options.log;
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: "internal", message: String(err) });
        else res.destroy();
      });
    });
    // Large slices are slow to score; never cut a plugin's request for being slow.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 60_000;
    this.server.keepAliveTimeout = 5_000;
  }

  /** Starts the emulator; `stop()` closes it and removes the work directory it created. */
  static async start(options: EmulatorOptions = {}): Promise<Emulator> {
    const own = options.workDir === undefined;
    const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), "batchkit-emulator-")));
    await mkdir(workDir, { recursive: true });
    const emulator = new Emulator(options, workDir, own);
    await new Promise<void>((resolve, reject) => {
      emulator.server.once("error", reject);
      emulator.server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
    const { port } = emulator.server.address() as AddressInfo;
    emulator.baseUrl = `http://127.0.0.1:${port}`;
    return emulator;
  }

  get url(): string {
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.ownsWorkDir) await rm(this.workDir, { recursive: true, force: true });
  }

  /** A URL that answers signed PUT URLs for files under storage key `project/<prefix>`. */
  uploadUrl(prefix: string): string {
    const key = `${this.projectId}/${prefix}`;
    let id = this.scopeIds.get(key);
    if (id === undefined) {
      id = `u${this.uploadScopes.size.toString(36)}${randomBytes(4).toString("hex")}`;
      this.uploadScopes.set(id, key);
      this.scopeIds.set(key, id);
    }
    return `${this.baseUrl}/api/developer/upload_url/${this.projectId}/${id}`;
  }

  /** The base URL of the files a stage uploaded (GET base + "/" + path). */
  downloadUrl(prefix: string): string {
    return `${this.baseUrl}/api/storage/${this.projectId}/${prefix}`;
  }

  /** Where a stored file lives on disk. */
  storedFile(prefix: string, path: string): string {
    return this.storage.filePath([this.projectId, ...prefix.split("/"), ...path.split("/")]);
  }

  private developerAuthorized(req: IncomingMessage): boolean {
    return req.headers["x-project-key"] === this.keys.projectKey && req.headers["x-dataset-key"] === this.keys.datasetKey;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.baseUrl);
    const path = url.pathname;
    const method = req.method ?? "GET";
    this.log?.(`${method} ${redactUrl(url)}`);

    if (path.startsWith("/api/developer/initial_dataset/") || path.startsWith("/api/developer/get_manifest/")) {
      this.requests.developer++;
      if (!this.developerAuthorized(req)) {
        sendJson(res, 401, { error: "unauthorized", message: "X-Project-Key and X-Dataset-Key do not match this project" });
        return;
      }
      if (path.startsWith("/api/developer/initial_dataset/") && method === "POST") {
        req.resume();
        const answer = postInitialDataset(this, decodeURIComponent(path.slice("/api/developer/initial_dataset/".length)));
        sendJson(res, answer.status, answer.body);
        return;
      }
      if (path.startsWith("/api/developer/get_manifest/") && method === "GET") {
        const answer = getManifest(this, decodeURIComponent(path.slice("/api/developer/get_manifest/".length)), url.searchParams);
        sendJson(res, answer.status, answer.body);
        return;
      }
      sendJson(res, 405, { error: "method_not_allowed" });
      return;
    }

    if (path.startsWith("/api/plugin/query_dataset/") && (method === "GET" || method === "HEAD")) {
      this.requests.datasets++;
      if (this.injectStatus(res)) return;
      const ref = this.datasets.get(path.slice("/api/plugin/query_dataset/".length));
      if (ref === undefined) {
        sendJson(res, 404, { error: "not_found", message: "no such dataset" });
        return;
      }
      const span = parseRange(url.searchParams, this.project);
      if ("error" in span) {
        sendJson(res, 400, { error: "bad_range", message: span.error });
        return;
      }
      const file = await this.datasets.file(ref);
      await serveDataset(req, res, file, COLUMNS, span, this.faults);
      return;
    }

    if (path.startsWith("/api/developer/upload_url/") && method === "GET") {
      this.requests.uploadUrls++;
      if (this.injectStatus(res)) return;
      this.answerUploadUrl(res, path.slice("/api/developer/upload_url/".length));
      return;
    }

    if (path.startsWith("/storage/") && method === "PUT") {
      this.requests.uploads++;
      if (this.injectStatus(res, req)) return;
      const stored = await this.storage.handlePut(req, res, path, url.searchParams, path.slice("/storage/".length));
      if (stored !== null && path === `/storage/${this.projectId}/batch/dev/data.json`) {
        const verdict = await checkDeveloperBatch(this, stored);
        this.developer.lastCheck = verdict;
        this.log?.(verdict);
      }
      return;
    }

    if (path.startsWith("/api/storage/") && (method === "GET" || method === "HEAD")) {
      this.requests.downloads++;
      if (this.injectStatus(res)) return;
      await this.storage.handleGet(req, res, path.slice("/api/storage/".length), (size) => ({
        ...(this.faults.resetBody() && size > 1 ? { resetAt: Math.floor(size / 2) } : {}),
        ...(this.faults.slowMs > 0 ? { stallMs: this.faults.slowMs } : {}),
      }));
      return;
    }

    req.resume();
    sendJson(res, 404, { error: "not_found", message: `no route for ${method} ${url.pathname}` });
  }

  /** The 5xx / 429 faults; true when the request was answered by one. */
  private injectStatus(res: ServerResponse, req?: IncomingMessage): boolean {
    const status = this.faults.statusFault();
    if (status === null) return false;
    req?.resume();
    if (status === 429) {
      sendJson(res, 429, { error: "too_many_requests", message: "Slow down" }, { "Retry-After": String(this.faults.retryAfterSeconds) });
    } else {
      sendJson(res, 503, { error: "service_unavailable", message: "Injected fault: try again" });
    }
    return true;
  }

  /** GET upload_url/<project>/<scope>/<path>: the signed PUT URL as plain text. */
  private answerUploadUrl(res: ServerResponse, rest: string): void {
    const [project, scope, ...pathParts] = rest.split("/");
    const prefix = scope === undefined ? undefined : this.uploadScopes.get(scope);
    if (project !== this.projectId || prefix === undefined) {
      sendJson(res, 404, { error: "not_found", message: "unknown upload scope" });
      return;
    }
    const segments = safeSegments(pathParts.join("/"));
    if (segments === null) {
      sendJson(res, 400, { error: "bad_path", message: "the file path must be relative, without empty, . or .. segments" });
      return;
    }
    const key = `${prefix}/${segments.map(encodeURIComponent).join("/")}`;
    const storagePath = `/storage/${key}`;
    let nowMs = Date.now();
    if (this.faults.expiredUrls && !this.expiredIssued.has(key)) {
      this.expiredIssued.add(key);
      this.faults.counts.expiredUrls++;
      nowMs -= (this.signedUrlSeconds + 60) * 1000;
    }
    sendText(res, 200, this.signer.sign(this.baseUrl, "PUT", storagePath, { expiresSeconds: this.signedUrlSeconds, nowMs }));
  }
}
