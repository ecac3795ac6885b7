/**
 * Labelled model-input rows held for fitting, in bounded memory: past `capacity` rows it keeps a
 * uniform reservoir sample, so a training set of any size costs at most capacity x width floats.
 */
export class RowSample {
  rows = 0;
  /** Rows offered, sampled or not. */
  seen = 0;
  private inputs: Float32Array;
  private labelled: Uint8Array;
  private state: number;

  constructor(
    readonly width: number,
    readonly capacity: number,
    seed = 1,
  ) {
    const initial = Math.min(capacity, 16_384);
    this.inputs = new Float32Array(initial * width);
    this.labelled = new Uint8Array(initial);
    this.state = seed >>> 0 || 1;
  }

  /** Offers the row starting at `offset` in `source` (width values). */
  add(source: Float32Array, offset: number, label: 0 | 1): void {
    this.seen++;
    let slot: number;
    if (this.rows < this.capacity) {
      if (this.rows === this.labelled.length) this.grow();
      slot = this.rows++;
    } else {
      slot = Math.floor(this.next() * this.seen);
      if (slot >= this.capacity) return;
    }
    this.inputs.set(source.subarray(offset, offset + this.width), slot * this.width);
    this.labelled[slot] = label;
  }

  /** The held rows (rows x width) and their labels, as views without a copy. */
  view(): { inputs: Float32Array; labels: Uint8Array; rows: number } {
    return {
      inputs: this.inputs.subarray(0, this.rows * this.width),
      labels: this.labelled.subarray(0, this.rows),
      rows: this.rows,
    };
  }

  private grow(): void {
    const rows = Math.min(this.capacity, Math.max(16, this.labelled.length * 2));
    const inputs = new Float32Array(rows * this.width);
    inputs.set(this.inputs);
    const labels = new Uint8Array(rows);
    labels.set(this.labelled);
    this.inputs = inputs;
    this.labelled = labels;
  }

  /** xorshift32 in [0, 1): reproducible samples for the same data. */
  private next(): number {
    this.state ^= this.state << 13;
    this.state ^= this.state >>> 17;
    this.state ^= this.state << 5;
    return (this.state >>> 0) / 4294967296;
  }
}
