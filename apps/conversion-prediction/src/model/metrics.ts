/** Metrics of a probabilistic classifier on labelled rows (labels 0/1). */

type Scores = ArrayLike<number>;
type Labels = ArrayLike<number>;

/**
 * Area under the ROC curve by the rank-sum (Mann-Whitney) formula, with tied scores sharing their
 * average rank. NaN when only one class is present, since the AUC is undefined there.
 */
export function rocAuc(scores: Scores, labels: Labels): number {
  const n = scores.length;
  const order = sortedIndexes(scores);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i]! > 0 ? 1 : 0;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  let rankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    const score = scores[order[i]!]!;
    while (j + 1 < n && scores[order[j + 1]!] === score) j++;
    // Ranks are 1-based; a tie group from i..j gets their mean rank.
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[order[k]!]! > 0) rankSum += averageRank;
    i = j + 1;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean binary cross-entropy, probabilities clipped to [eps, 1 - eps] so one sure miss stays finite. */
export function logLoss(probabilities: Scores, labels: Labels, eps = 1e-15): number {
  const n = probabilities.length;
  if (n === 0) return Number.NaN;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.min(Math.max(probabilities[i]!, eps), 1 - eps);
    total -= labels[i]! > 0 ? Math.log(p) : Math.log(1 - p);
  }
  return total / n;
}

/** Log-loss of always predicting `rate`: the baseline a useful model must beat. */
export function constantLogLoss(rate: number, labels: Labels): number {
  return logLoss(Array.from({ length: labels.length }, () => rate), labels);
}

export interface DecileRow {
  /** 1 = the highest-scored tenth. */
  decile: number;
  users: number;
  meanPredicted: number;
  conversionRate: number;
  /** conversionRate / overall conversion rate. */
  lift: number;
}

/**
 * Lift and calibration by decile of the score, highest first: a well-ranked model has lift > 1 at the
 * top, and meanPredicted close to conversionRate in every row when it is calibrated.
 */
export function decileTable(probabilities: Scores, labels: Labels, groups = 10): DecileRow[] {
  const n = probabilities.length;
  if (n === 0) return [];
  const order = sortedIndexes(probabilities).reverse();
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i]! > 0 ? 1 : 0;
  const overall = positives / n;
  const rows: DecileRow[] = [];
  for (let g = 0; g < groups; g++) {
    const start = Math.floor((g * n) / groups);
    const end = Math.floor(((g + 1) * n) / groups);
    if (end <= start) continue;
    let predicted = 0;
    let converted = 0;
    for (let k = start; k < end; k++) {
      const index = order[k]!;
      predicted += probabilities[index]!;
      converted += labels[index]! > 0 ? 1 : 0;
    }
    const users = end - start;
    const conversionRate = converted / users;
    rows.push({
      decile: g + 1,
      users,
      meanPredicted: round(predicted / users),
      conversionRate: round(conversionRate),
      lift: overall > 0 ? round(conversionRate / overall) : 0,
    });
  }
  return rows;
}

/** Values at the given quantiles (0..1) by linear interpolation between order statistics. */
export function quantiles(values: Scores, at: readonly number[]): number[] {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  return at.map((q) => quantileOfSorted(sorted, q));
}

export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const position = q * (n - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, n - 1);
  const fraction = position - low;
  return sorted[low]! + (sorted[high]! - sorted[low]!) * fraction;
}

function sortedIndexes(scores: Scores): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => scores[a]! - scores[b]!);
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
