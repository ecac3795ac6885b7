import { readFileSync } from "node:fs";

/** A JSON fixture of test/fixtures, parsed. */
export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8"));
}
