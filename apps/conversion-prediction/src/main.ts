#!/usr/bin/env node
// The platform runs `<program> manifest.json results.json`: node dist/main.js manifest.json results.json
import { runMain } from "@batchkit/plugin";
import { plugin } from "./plugin.js";

// `pnpm start manifest.json results.json` runs in this package's folder; pnpm keeps the caller's folder
// in INIT_CWD, and a plugin reads and writes relative to the folder it was started from.
const initCwd = process.env["INIT_CWD"];
if (process.env["npm_lifecycle_event"] === "start" && initCwd !== undefined && initCwd !== "") process.chdir(initCwd);

runMain(plugin);
