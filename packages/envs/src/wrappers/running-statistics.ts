/** Running mean and variance per element (Chan et al.'s parallel update, as Gymnasium's). */
export class RunningMeanVariance {
  /** Running means. */
  readonly mean: Float64Array;
  /** Running (population) variances. */
  readonly variance: Float64Array;
  /** Samples seen (starts at a tiny epsilon, as Gymnasium's). */
  count = 1e-4;

  constructor(size: number) {
    this.mean = new Float64Array(size);
    this.variance = new Float64Array(size).fill(1);
  }

  /** Folds in `rows` rows of `values` (row-major, `size` per row). */
  update(values: ArrayLike<number>, rows: number): void {
    const size = this.mean.length;
    for (let j = 0; j < size; j += 1) {
      let batchMean = 0;
      for (let r = 0; r < rows; r += 1) batchMean += values[r * size + j]!;
      batchMean /= rows;
      let batchVariance = 0;
      for (let r = 0; r < rows; r += 1) batchVariance += (values[r * size + j]! - batchMean) ** 2;
      batchVariance /= rows;
      const delta = batchMean - this.mean[j]!;
      const total = this.count + rows;
      const newMean = this.mean[j]! + (delta * rows) / total;
      const m2 =
        this.variance[j]! * this.count + batchVariance * rows + (delta * delta * this.count * rows) / total;
      this.mean[j] = newMean;
      this.variance[j] = m2 / total;
    }
    this.count += rows;
  }
}
