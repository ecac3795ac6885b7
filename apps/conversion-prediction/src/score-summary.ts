/**
 * Score distribution of a batch run in fixed memory: a 10,000-bin histogram over [0, 1] gives every
 * quantile to within 1e-4, whatever the number of users.
 */
export class ScoreSummary {
  users = 0;
  private readonly bins = new Float64Array(10_001);
  private sum = 0;

  add(scores: Float32Array): void {
    const bins = this.bins;
    const last = bins.length - 1;
    let sum = 0;
    for (let i = 0; i < scores.length; i++) {
      const p = scores[i]!;
      sum += p;
      // Scores are checked to lie in [0, 1] before they get here; the clamp only guards the index.
      const bin = (p * last + 0.5) | 0;
      bins[bin > last ? last : bin < 0 ? 0 : bin]! += 1;
    }
    this.sum += sum;
    this.users += scores.length;
  }

  mean(): number {
    return this.users > 0 ? this.sum / this.users : Number.NaN;
  }

  /** The score at quantile q (0..1), to the histogram's resolution. */
  quantile(q: number): number {
    if (this.users === 0) return Number.NaN;
    const target = q * (this.users - 1);
    let seen = 0;
    const last = this.bins.length - 1;
    for (let b = 0; b <= last; b++) {
      seen += this.bins[b]!;
      if (seen > target) return b / last;
    }
    return 1;
  }

  /** Log fields: mean and p01/p10/p50/p90/p99 (absent when nothing was scored). */
  quantileFields(): Record<string, number> {
    if (this.users === 0) return {};
    const round = (x: number) => Math.round(x * 1e4) / 1e4;
    return {
      scoreMean: round(this.mean()),
      p01: round(this.quantile(0.01)),
      p10: round(this.quantile(0.1)),
      p50: round(this.quantile(0.5)),
      p90: round(this.quantile(0.9)),
      p99: round(this.quantile(0.99)),
    };
  }
}
