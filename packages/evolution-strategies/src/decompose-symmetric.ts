/**
 * `decomposeSymmetric`: the eigendecomposition of a real symmetric matrix in Float64 by the
 * cyclic Jacobi method (Golub & Van Loan, Matrix Computations, 4th ed., section 8.5; the rotation
 * formulas of Rutishauser 1966). Each sweep annihilates every off-diagonal entry once with a plane
 * rotation; the off-diagonal mass falls quadratically once small. Jacobi is slower than a
 * Householder tridiagonalisation followed by QL (O(n^3) per sweep, about 6-10 sweeps) but simple,
 * unconditionally stable, and accurate for small eigenvalues, which is what an ill-conditioned
 * covariance matrix needs. Used by CMA-ES, whose dimensions are in the tens to hundreds.
 */

/** Eigenvalues in ascending order and the matching unit eigenvectors. */
export interface SymmetricDecomposition {
  /** Eigenvalues, ascending `[n]`. */
  readonly values: Float64Array;
  /** Eigenvectors as columns, row-major `[n * n]`: vector k is `vectors[i * n + k]` for i = 0..n-1. */
  readonly vectors: Float64Array;
}

/**
 * Decomposes the symmetric `n x n` matrix `matrix` (row-major; only read, symmetrised as
 * (A + A^T) / 2) into `V diag(values) V^T` with orthonormal V. Throws a RangeError for a wrong
 * length or a non-finite entry.
 *
 * @example
 * decomposeSymmetric(Float64Array.of(2, 1, 1, 2), 2); // values [1, 3]
 */
export function decomposeSymmetric(matrix: Float64Array, n: number): SymmetricDecomposition {
  if (!Number.isInteger(n) || n < 1 || matrix.length !== n * n) {
    throw new RangeError(
      `decomposeSymmetric: matrix must hold n * n = ${n} * ${n} values, got length ${matrix.length}`,
    );
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < n; j += 1) {
      const value = 0.5 * (matrix[i * n + j]! + matrix[j * n + i]!);
      if (!Number.isFinite(value)) {
        throw new RangeError(
          `decomposeSymmetric: matrix[${i}][${j}] is ${value}; every entry must be finite`,
        );
      }
      a[i * n + j] = value;
    }
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) v[i * n + i] = 1;

  for (let sweep = 0; sweep < 100; sweep += 1) {
    let off = 0;
    let diagonal = 0;
    for (let p = 0; p < n; p += 1) {
      diagonal += a[p * n + p]! ** 2;
      for (let q = p + 1; q < n; q += 1) off += a[p * n + q]! ** 2;
    }
    // Converged when the off-diagonal mass is negligible next to the diagonal (relative 1e-30 in squares).
    if (off === 0 || off <= 1e-30 * diagonal) break;
    for (let p = 0; p < n - 1; p += 1) {
      for (let q = p + 1; q < n; q += 1) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        // Rotation angle: theta = (aqq - app) / (2 apq), t = tan of the angle (the smaller root).
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        a[p * n + p] = app - t * apq;
        a[q * n + q] = aqq + t * apq;
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let r = 0; r < n; r += 1) {
          if (r === p || r === q) continue;
          const arp = a[r * n + p]!;
          const arq = a[r * n + q]!;
          const newP = c * arp - s * arq;
          const newQ = s * arp + c * arq;
          a[r * n + p] = newP;
          a[p * n + r] = newP;
          a[r * n + q] = newQ;
          a[q * n + r] = newQ;
        }
        for (let r = 0; r < n; r += 1) {
          const vrp = v[r * n + p]!;
          const vrq = v[r * n + q]!;
          v[r * n + p] = c * vrp - s * vrq;
          v[r * n + q] = s * vrp + c * vrq;
        }
      }
    }
  }

  const order = Array.from({ length: n }, (_v, k) => k).sort(
    (x, y) => a[x * n + x]! - a[y * n + y]! || x - y,
  );
  const values = Float64Array.from(order, (k) => a[k * n + k]!);
  const vectors = new Float64Array(n * n);
  for (let k = 0; k < n; k += 1) {
    const source = order[k]!;
    for (let i = 0; i < n; i += 1) vectors[i * n + k] = v[i * n + source]!;
  }
  return { values, vectors };
}
