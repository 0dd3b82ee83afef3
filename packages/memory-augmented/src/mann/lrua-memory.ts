/**
 * Least recently used access (LRUA) memory of MANN (Santoro et al. 2016, "Meta-Learning with
 * Memory-Augmented Neural Networks", section 3.1, eqs. 17-22): one pure read/write step on
 * tensors. The order of operations follows snowkylin/ntm `ntm/mann_cell.py` (the paper's
 * equations are ambiguous about which memory the read weights compare against):
 *
 *  1. least-used weights w^lu_{t-1} [B, N]: 1 at the n = H slots of smallest PREVIOUS usage
 *     w^u_{t-1}, 0 elsewhere (an indicator: no gradient flows through the selection; ties go to
 *     the higher slot index, as TensorFlow's top_k ordering does in the reference). One
 *     indicator shared by every head, as in the paper's eq. 21 and the reference.
 *  2. read weights w^r_t [B, H, N] = softmax over slots of the cosine similarity between each
 *     head's key k_t and the rows of the PREVIOUS memory M_{t-1} (eqs. 17-18), each head's
 *     similarities scaled by its key strength β when the heads carry one (an NTM addition). The norms carry
 *     an epsilon inside the square root: ||x|| = sqrt(sum x^2 + 1e-8), so all-zero memory rows
 *     (an empty memory starts at zero) give similarity 0 with a finite gradient. (The reference
 *     adds 1e-8 to the product of the norms instead and starts its memory at 1e-6.)
 *  3. write weights w^w_t = σ(α) w^r_{t-1} + (1 - σ(α)) w^lu_{t-1} (eq. 22), with the PREVIOUS
 *     step's read weights.
 *  4. usage w^u_t = γ w^u_{t-1} + Σ_heads w^r_t + Σ_heads w^w_t (eq. 20).
 *  5. the single least-used slot of w^u_{t-1} (the smallest previous usage) is zeroed, then
 *     M_t = M_{t-1}' + Σ_heads w^w_t ⊗ a_t (the add vectors a_t, one per head).
 *  6. reads r_t [B, H, M] = w^r_t M_t: weights from step 2, read from the NEW memory.
 *
 * (tristandeleu/ntm-one-shot differs: it compares keys with the new memory M_t, and each head h
 * writes to the h-th least-used slot alone.)
 */
import { tf } from '@metarl/core';

/** The memory part of MANN's state (a plain record of tensors). */
export type LruaState = {
  /** M [B, N, M]: N slots of width M. */
  readonly memory: tf.Tensor;
  /** w^u [B, N]: decayed sum of read and write weights. */
  readonly usage: tf.Tensor;
  /** w^r of the previous step [B, H, N]. */
  readonly readWeights: tf.Tensor;
  /** r of the previous step [B, H, M] (what the controller reads next). */
  readonly reads: tf.Tensor;
};

/** What the controller emits for one step, per head. */
export interface LruaHeads {
  /** k_t [B, H, M]: keys (tanh of a linear map of the controller output). */
  readonly keys: tf.Tensor;
  /** a_t [B, H, M]: add vectors (tanh). */
  readonly adds: tf.Tensor;
  /** σ(α) [B, H]: the write gate between the last read slots (1) and the least-used ones (0). */
  readonly gates: tf.Tensor;
  /** β [B, H], optional: key strengths scaling the cosine similarities (absent: 1, the paper's). */
  readonly strengths?: tf.Tensor;
}

/** One step's results: the next state and the write weights (for inspection and tests). */
export interface LruaStep {
  /** The state after this step (`reads` are this step's reads). */
  readonly state: LruaState;
  /** w^w_t [B, H, N]. */
  readonly writeWeights: tf.Tensor;
  /** w^lu_{t-1} [B, N]: the least-used indicator the writes used. */
  readonly leastUsed: tf.Tensor;
}

/** Epsilon inside the norms of the cosine similarity: ||x|| = sqrt(sum x^2 + NORM_EPSILON). */
export const NORM_EPSILON = 1e-8;

/** The all-zero (empty) memory for `batch` sequences. */
export function emptyLruaState(batch: number, slots: number, width: number, heads: number): LruaState {
  return {
    memory: tf.zeros([batch, slots, width]),
    usage: tf.zeros([batch, slots]),
    readWeights: tf.zeros([batch, heads, slots]),
    reads: tf.zeros([batch, heads, width]),
  };
}

/**
 * Ranks of the slots by usage, per row of `usage` [batch, slots] (0 = least used); equal usages:
 * the higher index counts as less used (TensorFlow's top_k order in the reference). Computed on
 * the values: the selection carries no gradient.
 */
export function rankByUsage(usage: ArrayLike<number>, batch: number, slots: number): Int32Array {
  const ranks = new Int32Array(batch * slots);
  const order = Array.from({ length: slots }, (_v, i) => i);
  for (let b = 0; b < batch; b += 1) {
    const row = b * slots;
    order.sort((i, j) => usage[row + i]! - usage[row + j]! || j - i);
    order.forEach((slot, rank) => {
      ranks[row + slot] = rank;
    });
  }
  return ranks;
}

/** Cosine similarity of each key [B, H, M] with each memory row [B, N, M] -> [B, H, N]. */
export function cosineSimilarity(keys: tf.Tensor, memory: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const dot = tf.matMul(keys, memory, false, true); // [B, H, N]
    const keyNorm = tf.sqrt(tf.add(tf.sum(tf.square(keys), 2, true), NORM_EPSILON)); // [B, H, 1]
    const rowNorm = tf.sqrt(tf.add(tf.sum(tf.square(memory), 2), NORM_EPSILON)); // [B, N]
    return tf.div(dot, tf.mul(keyNorm, tf.expandDims(rowNorm, 1)));
  });
}

/**
 * Which memory the read keys are compared with: 'previous' (M_{t-1}, snowkylin's order, the
 * default) or 'written' (M_t, after this step's write, tristandeleu/ntm-one-shot's order: a slot
 * written at step t can be read at step t, so the next step's write to the last read slots lands
 * where the key just went).
 */
export type LruaReadMemory = 'previous' | 'written';

/**
 * One LRUA read/write step from `previous` with this step's `heads`; γ = `usageDecay`; the keys are
 * compared with `readMemory` (default 'previous': the numbered order above).
 */
export function lruaStep(
  previous: LruaState,
  heads: LruaHeads,
  usageDecay: number,
  readMemory: LruaReadMemory = 'previous',
): LruaStep {
  return tf.tidy(() => {
    const [batch, headCount, slots] = previous.readWeights.shape as [number, number, number];
    // 1. Least-used slots of the previous usage (no gradient through the selection). The usage
    // carries no gradient either (it only selects), so it is kept and updated on the values:
    // a few hundred floats per step instead of a dozen kernels on [B, N, N].
    const previousUsage = previous.usage.dataSync();
    const ranks = rankByUsage(previousUsage, batch, slots);
    const leastUsed = tf.tensor2d(
      Float32Array.from(ranks, (rank) => (rank < headCount ? 1 : 0)),
      [batch, slots],
    ); // w^lu_{t-1} [B, N]
    const leastUsedSlot = tf.tensor2d(
      Float32Array.from(ranks, (rank) => (rank === 0 ? 1 : 0)),
      [batch, slots],
    ); // the single smallest [B, N]

    // 3. Write weights: the gate interpolates the previous reads and the least-used slots.
    const gate = tf.expandDims(heads.gates, 2); // [B, H, 1]
    const writeWeights = tf.add(
      tf.mul(gate, previous.readWeights),
      tf.mul(tf.sub(1, gate), tf.expandDims(leastUsed, 1)),
    ); // [B, H, N]

    // 5. Zero the least-used slot, then add every head's write.
    const cleared = tf.mul(previous.memory, tf.expandDims(tf.sub(1, leastUsedSlot), 2));
    const memory = tf.add(cleared, tf.matMul(writeWeights, heads.adds, true, false)); // [B, N, M]

    // 2. Read weights: softmax of the (strength-scaled) cosine similarity with the previous
    // memory (or, with readMemory 'written', the memory just written).
    const similarity = cosineSimilarity(heads.keys, readMemory === 'written' ? memory : previous.memory);
    const readWeights = tf.softmax(
      heads.strengths === undefined ? similarity : tf.mul(similarity, tf.expandDims(heads.strengths, 2)),
      -1,
    ); // [B, H, N]

    // 4. Usage (on the values; see step 1).
    const readValues = readWeights.dataSync();
    const writeValues = writeWeights.dataSync();
    const nextUsage = new Float32Array(batch * slots);
    for (let b = 0; b < batch; b += 1) {
      for (let i = 0; i < slots; i += 1) {
        let sum = usageDecay * previousUsage[b * slots + i]!;
        for (let h = 0; h < headCount; h += 1) {
          const at = (b * headCount + h) * slots + i;
          sum += readValues[at]! + writeValues[at]!;
        }
        nextUsage[b * slots + i] = sum;
      }
    }
    const usage = tf.tensor2d(nextUsage, [batch, slots]);

    // 6. Reads from the new memory.
    const reads = tf.matMul(readWeights, memory); // [B, H, M]
    return { state: { memory, usage, readWeights, reads }, writeWeights, leastUsed };
  });
}
