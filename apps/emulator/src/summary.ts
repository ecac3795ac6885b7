/** What a run reports at the end: the score distribution, the AUC against y_value, and the timings. */

export interface ScoreDistribution {
  count: number;
  /** Values that were not finite numbers (a non-numeric property, NaN). */
  nonNumeric: number;
  min: number;
  max: number;
  mean: number;
  quantiles: { p10: number; p50: number; p90: number };
  /** Ten equal-width bins over [0, 1]; values outside land in the first or last bin. */
  histogram: number[];
}

/**
 * AUC as the probability that a random converted user scores above a random unconverted one (ties count
 * half), from the two classes' sorted scores: O(n log n), no pairwise loop. NaN when a class is empty.
 */
export function auc(scores: Float64Array, labels: Uint8Array): number {
  let nPos = 0;
  let nNeg = 0;
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i] as number)) continue;
    if (labels[i] === 1) nPos++;
    else nNeg++;
  }
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(nNeg);
  let p = 0;
  let q = 0;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as number;
    if (Number.isNaN(s)) continue;
    if (labels[i] === 1) pos[p++] = s;
    else neg[q++] = s;
  }
  pos.sort();
  neg.sort();
  // For each positive: negatives strictly below plus half of the ties.
  let wins = 0;
  let below = 0;
  let upTo = 0;
  for (let i = 0; i < nPos; i++) {
    const s = pos[i] as number;
    while (below < nNeg && (neg[below] as number) < s) below++;
    if (upTo < below) upTo = below;
    while (upTo < nNeg && (neg[upTo] as number) <= s) upTo++;
    wins += below + (upTo - below) / 2;
  }
  return wins / (nPos * nNeg);
}

export function distribution(scores: Float64Array): ScoreDistribution {
  const fine = new Float64Array(1000);
  const bins = new Float64Array(10);
  let count = 0;
  let nonNumeric = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as number;
    if (!Number.isFinite(s)) {
      nonNumeric++;
      continue;
    }
    count++;
    sum += s;
    if (s < min) min = s;
    if (s > max) max = s;
    const c = Math.min(1, Math.max(0, s));
    const b = Math.min(9, Math.floor(c * 10));
    const f = Math.min(999, Math.floor(c * 1000));
    bins[b] = (bins[b] as number) + 1;
    fine[f] = (fine[f] as number) + 1;
  }
  const quantile = (q: number): number => {
    if (count === 0) return Number.NaN;
    const target = q * count;
    let acc = 0;
    for (let b = 0; b < 1000; b++) {
      acc += fine[b] as number;
      if (acc >= target) return (b + 0.5) / 1000;
    }
    return 1;
  };
  return {
    count,
    nonNumeric,
    min: count === 0 ? Number.NaN : min,
    max: count === 0 ? Number.NaN : max,
    mean: count === 0 ? Number.NaN : sum / count,
    quantiles: { p10: quantile(0.1), p50: quantile(0.5), p90: quantile(0.9) },
    histogram: Array.from(bins),
  };
}

export interface StageTiming {
  stage: string;
  wallMs: number;
  /** Users the stage processed (dataset size, or users scored for batch). */
  users: number;
  processes: number;
}

export interface RunSummary {
  runId: string;
  users: number;
  usersScored: number;
  exactlyOnce: boolean;
  scoreProperty: string;
  category: string | null;
  distribution: ScoreDistribution;
  auc: number;
  batches: number;
  stages: StageTiming[];
  storePath: string | null;
  exampleQuery: string | null;
  faults: string;
}

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "n/a";

/** The summary as the CLI prints it. */
export function formatSummary(s: RunSummary): string {
  const lines: string[] = [];
  lines.push(`Run ${s.runId}: ${fmt(s.usersScored)} of ${fmt(s.users)} users scored in ${s.batches} batch${s.batches === 1 ? "" : "es"}`);
  lines.push(`  every user scored exactly once: ${s.exactlyOnce ? "yes" : "NO"}`);
  lines.push(`  property: ${s.category === null ? "" : `${s.category} / `}${s.scoreProperty}`);
  const d = s.distribution;
  lines.push(
    `  scores: mean ${fmt(d.mean, 4)}, min ${fmt(d.min, 4)}, p10 ${fmt(d.quantiles.p10, 3)}, median ${fmt(d.quantiles.p50, 3)}, p90 ${fmt(d.quantiles.p90, 3)}, max ${fmt(d.max, 4)}`,
  );
  const peak = Math.max(1, ...d.histogram);
  d.histogram.forEach((n, i) => {
    const bar = "#".repeat(Math.round((n / peak) * 40));
    lines.push(`    [${(i / 10).toFixed(1)}, ${((i + 1) / 10).toFixed(1)}${i === 9 ? "]" : ")"} ${fmt(n).padStart(11)} ${bar}`);
  });
  if (d.nonNumeric > 0) lines.push(`    non-numeric values: ${fmt(d.nonNumeric)}`);
  lines.push(`  AUC of ${s.scoreProperty} against y_value: ${fmt(s.auc, 4)}`);
  lines.push(`  faults: ${s.faults}`);
  lines.push("  stages:");
  for (const t of s.stages) {
    const rate = t.wallMs > 0 ? (t.users / t.wallMs) * 1000 : Number.NaN;
    lines.push(
      `    ${t.stage.padEnd(10)} ${fmt(t.wallMs / 1000, 2).padStart(8)} s  ${fmt(t.users).padStart(11)} users  ${fmt(rate).padStart(10)} users/s  ${t.processes} process${t.processes === 1 ? "" : "es"}`,
    );
  }
  if (s.storePath !== null) {
    lines.push(`  store: ${s.storePath}`);
    if (s.exampleQuery !== null) {
      lines.push(`  query: sqlite3 ${JSON.stringify(s.storePath)} ${JSON.stringify(s.exampleQuery)}`);
      lines.push(`     or: node dist/cli.js query ${JSON.stringify(s.exampleQuery)}   (from apps/emulator, with --work-dir if not the default)`);
    }
  }
  return lines.join("\n");
}
