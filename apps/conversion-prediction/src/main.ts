#!/usr/bin/env node
// The platform runs `<program> manifest.json results.json`: node dist/main.js manifest.json results.json
import { runMain } from "@batchkit/plugin";
import { plugin } from "./plugin.js";

runMain(plugin);
