import { ConversionPredictionError } from "../errors.js";

/**
 * A dense row-major design matrix: `rows` x `width` values, already encoded and standardised. Float32
 * halves the memory of a large training sample; sums are still accumulated in float64.
 */
export interface DesignMatrix {
  values: Float32Array | Float64Array;
  rows: number;
  width: number;
}

export interface LogisticFitOptions {
  /** L2 penalty on the weights (not the intercept), added to the summed log-loss as l2/2 * |w|^2. */
  l2?: number;
  maxIterations?: number;
  /** Stops when the largest Newton step on any coefficient is below this. */
  tolerance?: number;
}

export interface LogisticModel {
  intercept: number;
  weights: Float64Array;
  iterations: number;
  converged: boolean;
}

const defaultL2 = 1;

/**
 * Fits an L2-regularised logistic regression by Newton's method (IRLS). The design is small (tens of
 * columns), so each step's d x d Hessian is cheap and a handful of exact steps converges where
 * gradient methods need hundreds of passes over the rows.
 */
export function fitLogisticRegression(
  x: DesignMatrix,
  y: Uint8Array,
  options: LogisticFitOptions = {},
): LogisticModel {
  const { rows, width, values } = x;
  if (y.length !== rows) {
    throw new ConversionPredictionError("TRAIN_SHAPE", `The design has ${rows} rows but ${y.length} labels`, {
      hint: "Pass one label per training row.",
    });
  }
  if (rows === 0) {
    throw new ConversionPredictionError("TRAIN_NO_ROWS", "There are no training rows to fit the model on", {
      title: "No training data",
      hint: "Check that the training dataset holds users (a longer moment or a larger project).",
    });
  }
  const l2 = options.l2 ?? defaultL2;
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-8;
  // Coefficient vector: index 0 is the intercept, 1..width the weights.
  const d = width + 1;
  const beta = new Float64Array(d);
  let positives = 0;
  for (let i = 0; i < rows; i++) positives += y[i]!;
  const rate = Math.min(Math.max(positives / rows, 1e-6), 1 - 1e-6);
  beta[0] = Math.log(rate / (1 - rate));

  const gradient = new Float64Array(d);
  const hessian = new Float64Array(d * d);
  const row = new Float64Array(d);
  const next = new Float64Array(d);
  let loss = objective(x, y, beta, l2);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    gradient.fill(0);
    hessian.fill(0);
    row[0] = 1;
    for (let i = 0; i < rows; i++) {
      const base = i * width;
      let z = beta[0]!;
      for (let j = 0; j < width; j++) {
        const v = values[base + j]!;
        row[j + 1] = v;
        z += beta[j + 1]! * v;
      }
      const p = sigmoid(z);
      const residual = p - y[i]!;
      const weight = Math.max(p * (1 - p), 1e-12);
      for (let a = 0; a < d; a++) {
        const ra = row[a]!;
        if (ra === 0) continue; // one-hot columns are mostly zero
        gradient[a] = gradient[a]! + residual * ra;
        const wa = weight * ra;
        const offset = a * d;
        // Lower triangle only; mirrored after the pass.
        for (let b = 0; b <= a; b++) hessian[offset + b] = hessian[offset + b]! + wa * row[b]!;
      }
    }
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < a; b++) hessian[b * d + a] = hessian[a * d + b]!;
    }
    for (let a = 1; a < d; a++) {
      gradient[a] = gradient[a]! + l2 * beta[a]!;
      hessian[a * d + a] = hessian[a * d + a]! + l2;
    }
    // A tiny ridge on every coefficient keeps the solve defined for constant or collinear columns.
    for (let a = 0; a < d; a++) hessian[a * d + a] = hessian[a * d + a]! + 1e-9 * rows;
    const step = solveSymmetric(hessian, gradient, d);
    // Step halving keeps Newton monotone when far from the optimum (e.g. separable data).
    let scale = 1;
    let nextLoss = Infinity;
    for (let attempt = 0; attempt < 30; attempt++) {
      for (let a = 0; a < d; a++) next[a] = beta[a]! - scale * step[a]!;
      nextLoss = objective(x, y, next, l2);
      if (nextLoss <= loss + 1e-12 * Math.abs(loss)) break;
      scale /= 2;
    }
    let largest = 0;
    for (let a = 0; a < d; a++) largest = Math.max(largest, Math.abs(next[a]! - beta[a]!));
    if (nextLoss > loss) {
      // No descent at all: we are at the optimum up to rounding.
      converged = true;
      break;
    }
    beta.set(next);
    loss = nextLoss;
    if (largest < tolerance) {
      converged = true;
      break;
    }
  }
  return { intercept: beta[0]!, weights: beta.slice(1), iterations, converged };
}

/** Probability of the positive class for every row of `x`. */
export function predictLogistic(model: LogisticModel, x: DesignMatrix): Float64Array {
  const out = new Float64Array(x.rows);
  const { values, width } = x;
  for (let i = 0; i < x.rows; i++) {
    let z = model.intercept;
    const base = i * width;
    for (let j = 0; j < width; j++) z += model.weights[j]! * values[base + j]!;
    out[i] = sigmoid(z);
  }
  return out;
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Summed log-loss plus the L2 penalty, computed stably from the logit. */
function objective(x: DesignMatrix, y: Uint8Array, beta: Float64Array, l2: number): number {
  const { rows, width, values } = x;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    let z = beta[0]!;
    const base = i * width;
    for (let j = 0; j < width; j++) z += beta[j + 1]! * values[base + j]!;
    // log(1 + e^z) - y z, without overflow.
    const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    total += softplus - y[i]! * z;
  }
  let penalty = 0;
  for (let a = 1; a < beta.length; a++) penalty += beta[a]! * beta[a]!;
  return total + (l2 / 2) * penalty;
}

/** Solves H s = g for a symmetric positive definite H by Cholesky (H is d x d, d small). */
function solveSymmetric(h: Float64Array, g: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = h[i * d + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        l[i * d + i] = Math.sqrt(Math.max(sum, 1e-300));
      } else {
        l[i * d + j] = sum / l[j * d + j]!;
      }
    }
  }
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let sum = g[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * d + k]! * z[k]!;
    z[i] = sum / l[i * d + i]!;
  }
  const s = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let sum = z[i]!;
    for (let k = i + 1; k < d; k++) sum -= l[k * d + i]! * s[k]!;
    s[i] = sum / l[i * d + i]!;
  }
  return s;
}
