/**
 * MANN over whole episodes from the empty state as one differentiable op with a hand-written
 * backward pass (backpropagation through time through the controller and the LRUA memory). The
 * equations are `mann-network.ts`'s and `lrua-memory.ts`'s; `test/fused-mann-sequence.test.ts`
 * checks the logits and every parameter's gradient against the op-by-op network.
 *
 * Why: op by op, one time step is ~60 tfjs kernels forward and twice that backward, each costing
 * ~30 µs of dispatch on tensors of a few thousand floats: an update at the paper's sizes spent
 * ~0.45 s almost all in dispatch. Here every intermediate lives in one `Float32Array`, the matrix
 * products are core's `multiplyMatrices` (native where @metarl/native runs the wasm backend, else
 * JavaScript), the elementwise parts are loops, and the weight gradients of all steps are one
 * product each.
 *
 * Backward of one LRUA step (per sequence and head h, slots i; `dr` the reads' gradient, `dM` and
 * `dw^r` what the later steps send back to M_t and w^r_t):
 *   dw^r += dr M_tᵀ, dM_t += w^rᵀ dr; dz = w^r ⊙ (dw^r − Σ_i w^r dw^r) (softmax);
 *   dβ = Σ_i dz s, ds = β dz; with s = k·m_i / (|k| |m_i|):
 *   dk = Σ_i ds/(|k||m_i|) m_i − (Σ_i ds s) k/|k|², dm_i = Σ_h ds/(|k||m_i|) k − (Σ_h ds s) m_i/|m_i|²
 *   (into M_t or M_{t-1}, whichever the keys were compared with);
 *   dw^w = a dM_tᵀ, da = w^w dM_t; dM_{t-1} = dM_t with the cleared slot's row zeroed;
 *   dσ(α) = Σ_i dw^w (w^r_{t-1} − w^lu), dw^r_{t-1} = σ(α) dw^w.
 * The usage and the least-used selection carry no gradient (as in the op-by-op network).
 *
 * The gradient it defines is first order: `canFuseMannSequence` says when it may be used (no
 * gradient recorded, or exactly one); elsewhere the network runs op by op.
 */
import { multiplyMatrices, type ParamTree, recordedGradientDepth, tf } from '@metarl/core';
import { NORM_EPSILON, rankByUsage } from './lrua-memory';
import type { ResolvedMannNetworkOptions } from './mann-network';

/** True when the fused op's gradient is exact here: no gradient recorded, or exactly one. */
export function canFuseMannSequence(): boolean {
  const depth = recordedGradientDepth();
  return depth === 0 || depth === 1;
}

/** Hands out consecutive regions of one heap (offsets in float elements). */
class Regions {
  size = 0;
  take(length: number): number {
    const at = this.size;
    this.size += length;
    return at;
  }
}

/** Writes the transpose of the [rows, columns] matrix at `from` to `to`. */
function transpose(heap: Float32Array, from: number, rows: number, columns: number, to: number): void {
  for (let i = 0; i < rows; i += 1)
    for (let j = 0; j < columns; j += 1) heap[to + j * rows + i] = heap[from + i * columns + j]!;
}

/** Copies a [first, second, width] block of `source` to `target` as [second, first, width] (batch-major to time-major and back). */
function swapLeadingAxes(
  source: Float32Array,
  sourceAt: number,
  target: Float32Array,
  targetAt: number,
  first: number,
  second: number,
  width: number,
): void {
  for (let i = 0; i < first; i += 1)
    for (let j = 0; j < second; j += 1) {
      const from = sourceAt + (i * second + j) * width;
      target.set(source.subarray(from, from + width), targetAt + (j * first + i) * width);
    }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** The fused forward and backward passes for one network and one input shape. */
interface FusedRun {
  /** Floats in the heap. */
  readonly size: number;
  /** Whether the params include heads (every mode but 'none'). */
  readonly hasHeads: boolean;
  /** Runs the episodes on a fresh heap from the inputs' data (projected, then the params in `fusedMannLogits`'s order): logits [B, T, O]. */
  forward(heap: Float32Array, clearedSlot: Int32Array, data: readonly Float32Array[]): Float32Array;
  /** Backpropagates dLogits [B, T, O] through the run on `heap`: the inputs' gradients, in their order. */
  backward(heap: Float32Array, clearedSlot: Int32Array, dLogits: Float32Array): Float32Array[];
}

const runs = new WeakMap<ResolvedMannNetworkOptions, Map<string, FusedRun>>();

/**
 * Logits [B, T, O] of a MANN (`options`, `params` as `createMannNetwork` makes them) over whole
 * episodes from the empty state, given the controller's input projection `projected` = x W_x + b
 * [B, T, 4C]. Differentiable (first order) in `projected` and every parameter.
 */
export function fusedMannLogits(
  options: ResolvedMannNetworkOptions,
  params: ParamTree,
  projected: tf.Tensor,
): tf.Tensor {
  const [B, T, G] = projected.shape as [number, number, number];
  if (projected.rank !== 3 || G !== 4 * options.controllerSize)
    throw new RangeError(
      `fusedMannLogits: projected must be [B, T, ${4 * options.controllerSize}], got [${projected.shape.join(', ')}]`,
    );
  // One run per network and shape, made once: its functions stay optimised across calls.
  const byShape = runs.get(options) ?? new Map<string, FusedRun>();
  runs.set(options, byShape);
  // Without a gradient to record, only the current and the next memory are kept.
  const saveAll = recordedGradientDepth() !== 0;
  const key = `${B}x${T}${saveAll ? '' : ' forward only'}`;
  const run = byShape.get(key) ?? createFusedRun(options, B, T, saveAll);
  byShape.set(key, run);
  const controller = params.controller as ParamTree;
  const output = params.output as ParamTree;
  const headParams = params.heads as ParamTree | undefined;
  const inputs: tf.Tensor[] = [
    projected,
    controller.inputWeight as tf.Tensor,
    controller.hiddenWeight as tf.Tensor,
    output.weight as tf.Tensor,
    output.bias as tf.Tensor,
    ...(run.hasHeads ? [headParams!.weight as tf.Tensor, headParams!.bias as tf.Tensor] : []),
  ];
  const op = tf.customGrad((...args: unknown[]) => {
    const tensors = args.slice(0, inputs.length) as tf.Tensor[];
    const heap = new Float32Array(run.size);
    const clearedSlot = new Int32Array(T * B);
    const values = run.forward(
      heap,
      clearedSlot,
      tensors.map((t) => t.dataSync() as Float32Array),
    );
    const gradFunc = (dy: tf.Tensor): tf.Tensor[] => {
      // Its backward pass is not itself differentiable: recorded, it would drop second-order terms.
      if (recordedGradientDepth() !== 0)
        throw new Error(
          'fusedMannLogits: its gradient cannot be differentiated again (run the network op by op)',
        );
      return run
        .backward(heap, clearedSlot, dy.dataSync() as Float32Array)
        .map((g, i) => tf.tensor(g, tensors[i]!.shape));
    };
    return { value: tf.tensor3d(values, [B, T, options.outputSize]), gradFunc };
  });
  return op(...inputs);
}

/** The run's regions and passes; `saveAll` keeps every step's memory (for the backward pass), else two. */
function createFusedRun(
  options: ResolvedMannNetworkOptions,
  B: number,
  T: number,
  saveAll: boolean,
): FusedRun {
  const {
    inputSize: I,
    outputSize: O,
    controllerSize: C,
    memorySlots: N,
    memoryWidth: W,
    heads: H,
  } = options;
  const G = 4 * C;
  const hasHeads = options.memory !== 'none';
  const on = options.memory === 'on';
  const R = H * W;
  const S = C + (on ? R : 0); // the controller's recurrent input (and the output layer's input) in use
  const addsSeparate = options.writeVector === 'add';
  const learnsStrength = options.keyStrength === 'learned';
  const P = H * ((addsSeparate ? 2 : 1) * W + 1 + (learnsStrength ? 1 : 0));
  const addsAt = addsSeparate ? R : 0; // offsets inside a row of head outputs
  const alphaAt = (addsSeparate ? 2 : 1) * R;
  const betaAt = alphaAt + H;
  const readsWritten = options.readMemory === 'written';
  const decay = options.usageDecay;

  // ---- the heap ----
  const r = new Regions();
  const wcat = r.take(S * G); // [U; W_r]: rows of h then of the reads
  const wo = r.take(S * O);
  const bo = r.take(O);
  const proj = r.take(T * B * G); // t-major
  const state = r.take((T + 1) * B * S); // [h_{t-1} | r_{t-1}] per step, state[0] = 0
  const hidden = r.take(T * B * C);
  const cell = r.take((T + 1) * B * C);
  const tanhCell = r.take(T * B * C);
  const gates = r.take(T * B * G); // i, f, g, o after their activations
  const logits = r.take(T * B * O);
  // memory
  const wh = on ? r.take(C * P) : 0;
  const bh = on ? r.take(P) : 0;
  const emitted = on ? r.take(T * B * P) : 0;
  const keys = on ? r.take(T * B * R) : 0;
  const adds = on && addsSeparate ? r.take(T * B * R) : keys;
  const gate = on ? r.take(T * B * H) : 0;
  const beta = on ? r.take(T * B * H) : 0;
  const betaSlope = on ? r.take(T * B * H) : 0;
  const kept = saveAll ? T + 1 : 2;
  /** Where M_t, w^r_t and the row norms of M_t are: every t, or alternating between two. */
  const slot = (t: number) => (saveAll ? t : t % 2);
  const memory = on ? r.take(kept * B * N * W) : 0;
  const readW = on ? r.take(kept * B * H * N) : 0;
  const writeW = on ? r.take(T * B * H * N) : 0;
  const leastUsed = on ? r.take(T * B * N) : 0;
  const similarity = on ? r.take(T * B * H * N) : 0;
  const keyNorm = on ? r.take(T * B * H) : 0;
  const rowNorm = on ? r.take(kept * B * N) : 0; // |m_i| of every M_t (M_0 = 0: sqrt(epsilon))
  const readsTemp = on ? r.take(B * R) : 0;
  // backward (nothing when only the forward pass runs)
  const back = saveAll ? r : new Regions();
  const wcatT = back.take(G * S); // [U; W_r]ᵀ (the native product is several times faster untransposed)
  const whT = on ? back.take(P * C) : 0;
  const tempNW = on ? back.take(B * N * W) : 0;
  const tempNW2 = on ? back.take(B * N * W) : 0;
  const dl = back.take(T * B * O);
  const dFeatures = back.take(T * B * S);
  const dwo = back.take(S * O);
  const dZ = back.take(T * B * G);
  const dwcat = back.take(S * G);
  const dh = back.take(B * C);
  const dc = back.take(B * C);
  const tempBS = back.take(B * S);
  const dE = on ? back.take(T * B * P) : 0;
  const dwh = on ? back.take(C * P) : 0;
  const tempBC = on ? back.take(B * C) : 0;
  const dr = on ? back.take(B * R) : 0;
  const drCarry = on ? back.take(B * R) : 0;
  const dM = on ? back.take(B * N * W) : 0;
  const dwrCarry = on ? back.take(B * H * N) : 0;
  const dwr = on ? back.take(B * H * N) : 0;
  const dww = on ? back.take(B * H * N) : 0;
  const dk = on ? back.take(B * R) : 0;
  const da = on ? back.take(B * R) : 0;
  const dKeyNorm = on ? back.take(B * H) : 0;
  const dRowNorm = on ? back.take(B * N) : 0;

  function forward(heap: Float32Array, clearedSlot: Int32Array, data: readonly Float32Array[]): Float32Array {
    const [pData, inputWeightData, hiddenWeightData, outputWeightData, outputBiasData] = data;
    // Params into the heap.
    heap.set(hiddenWeightData!, wcat);
    if (on) heap.set(inputWeightData!.subarray(I * G, (I + R) * G), wcat + C * G);
    heap.set(outputWeightData!.subarray(0, S * O), wo);
    heap.set(outputBiasData!, bo);
    if (on) {
      heap.set(data[5]!, wh);
      heap.set(data[6]!, bh);
      if (saveAll) transpose(heap, wh, C, P, whT);
    }
    if (saveAll) transpose(heap, wcat, S, G, wcatT);
    swapLeadingAxes(pData!, 0, heap, proj, B, T, G);

    const usage = new Float32Array(B * N);
    if (on) heap.fill(Math.sqrt(NORM_EPSILON), rowNorm, rowNorm + B * N);
    for (let t = 0; t < T; t += 1) {
      // Controller: z = [h | r]_{t-1} [U; W_r] + x_t W_x + b, then the LSTM cell.
      const gatesT = gates + t * B * G;
      multiplyMatrices(heap, { rows: B, columns: G, inner: S, a: state + t * B * S, b: wcat, c: gatesT });
      for (let b = 0; b < B; b += 1) {
        const z = gatesT + b * G;
        const x = proj + (t * B + b) * G;
        const cPrev = cell + (t * B + b) * C;
        const cNext = cell + ((t + 1) * B + b) * C;
        const tc = tanhCell + (t * B + b) * C;
        const hNext = hidden + (t * B + b) * C;
        const stateNext = state + ((t + 1) * B + b) * S;
        for (let j = 0; j < C; j += 1) {
          const i = sigmoid(heap[z + j]! + heap[x + j]!);
          const f = sigmoid(heap[z + C + j]! + heap[x + C + j]!);
          const g = Math.tanh(heap[z + 2 * C + j]! + heap[x + 2 * C + j]!);
          const o = sigmoid(heap[z + 3 * C + j]! + heap[x + 3 * C + j]!);
          heap[z + j] = i;
          heap[z + C + j] = f;
          heap[z + 2 * C + j] = g;
          heap[z + 3 * C + j] = o;
          const c = f * heap[cPrev + j]! + i * g;
          heap[cNext + j] = c;
          const tanhC = Math.tanh(c);
          heap[tc + j] = tanhC;
          heap[hNext + j] = o * tanhC;
          heap[stateNext + j] = heap[hNext + j]!;
        }
      }
      if (!on) continue;

      // Heads: e = h_t W_h + b_h -> keys, adds, gates σ(α), strengths β.
      const e = emitted + t * B * P;
      multiplyMatrices(heap, { rows: B, columns: P, inner: C, a: hidden + t * B * C, b: wh, c: e, bias: bh });
      for (let b = 0; b < B; b += 1) {
        const row = e + b * P;
        for (let j = 0; j < R; j += 1) {
          heap[keys + (t * B + b) * R + j] = Math.tanh(heap[row + j]!);
          if (addsSeparate) heap[adds + (t * B + b) * R + j] = Math.tanh(heap[row + addsAt + j]!);
        }
        for (let h = 0; h < H; h += 1) {
          const at = (t * B + b) * H + h;
          heap[gate + at] = sigmoid(heap[row + alphaAt + h]!);
          if (learnsStrength) {
            const raw = heap[row + betaAt + h]!;
            heap[beta + at] = 1 + softplus(raw);
            heap[betaSlope + at] = sigmoid(raw);
          } else heap[beta + at] = 1;
        }
      }

      // LRUA: least-used slots of the previous usage, write weights, clear, write.
      const ranks = rankByUsage(usage, B, N);
      const wwT = writeW + t * B * H * N;
      const wrPrev = readW + slot(t) * B * H * N;
      const luT = leastUsed + t * B * N;
      for (let b = 0; b < B; b += 1) {
        for (let i = 0; i < N; i += 1) {
          const rank = ranks[b * N + i]!;
          heap[luT + b * N + i] = rank < H ? 1 : 0;
          if (rank === 0) clearedSlot[t * B + b] = i;
        }
        for (let h = 0; h < H; h += 1) {
          const g = heap[gate + (t * B + b) * H + h]!;
          const at = (b * H + h) * N;
          for (let i = 0; i < N; i += 1)
            heap[wwT + at + i] = g * heap[wrPrev + at + i]! + (1 - g) * heap[luT + b * N + i]!;
        }
      }
      const memPrev = memory + slot(t) * B * N * W;
      const memNext = memory + slot(t + 1) * B * N * W;
      multiplyMatrices(heap, {
        batch: B,
        rows: N,
        columns: W,
        inner: H,
        a: wwT,
        transposeA: true,
        b: adds + t * B * R,
        c: memNext,
      });
      // M_t = M_{t-1} with the cleared row zeroed + the writes; the norms of its rows.
      for (let b = 0; b < B; b += 1) {
        const cleared = clearedSlot[t * B + b]!;
        for (let i = 0; i < N; i += 1) {
          const at = (b * N + i) * W;
          let sum = 0;
          if (i === cleared)
            for (let m = 0; m < W; m += 1) sum += heap[memNext + at + m]! * heap[memNext + at + m]!;
          else
            for (let m = 0; m < W; m += 1) {
              const v = heap[memNext + at + m]! + heap[memPrev + at + m]!;
              heap[memNext + at + m] = v;
              sum += v * v;
            }
          heap[rowNorm + (slot(t + 1) * B + b) * N + i] = Math.sqrt(sum + NORM_EPSILON);
        }
      }

      // Read weights: softmax over slots of β · cosine(k, M_{t-1} or M_t).
      const compared = readsWritten ? memNext : memPrev;
      const comparedNorm = rowNorm + slot(readsWritten ? t + 1 : t) * B * N;
      const simT = similarity + t * B * H * N;
      const keysT = keys + t * B * R;
      multiplyMatrices(heap, {
        batch: B,
        rows: H,
        columns: N,
        inner: W,
        a: keysT,
        b: compared,
        transposeB: true,
        c: simT,
      });
      const wrNext = readW + slot(t + 1) * B * H * N;
      for (let b = 0; b < B; b += 1) {
        for (let h = 0; h < H; h += 1) {
          let sum = 0;
          const at = keysT + (b * H + h) * W;
          for (let m = 0; m < W; m += 1) sum += heap[at + m]! * heap[at + m]!;
          const kn = Math.sqrt(sum + NORM_EPSILON);
          heap[keyNorm + (t * B + b) * H + h] = kn;
          const strength = heap[beta + (t * B + b) * H + h]!;
          const row = (b * H + h) * N;
          let largest = -Infinity;
          for (let i = 0; i < N; i += 1) {
            const s = heap[simT + row + i]! / (kn * heap[comparedNorm + b * N + i]!);
            heap[simT + row + i] = s;
            largest = Math.max(largest, strength * s);
          }
          let total = 0;
          for (let i = 0; i < N; i += 1) {
            const v = Math.exp(strength * heap[simT + row + i]! - largest);
            heap[wrNext + row + i] = v;
            total += v;
          }
          for (let i = 0; i < N; i += 1) heap[wrNext + row + i]! /= total;
        }
      }
      // Usage (no gradient), then the reads r_t = w^r_t M_t.
      for (let b = 0; b < B; b += 1)
        for (let i = 0; i < N; i += 1) {
          let sum = decay * usage[b * N + i]!;
          for (let h = 0; h < H; h += 1) {
            const at = (b * H + h) * N + i;
            sum += heap[wrNext + at]! + heap[wwT + at]!;
          }
          usage[b * N + i] = sum;
        }
      multiplyMatrices(heap, {
        batch: B,
        rows: H,
        columns: W,
        inner: N,
        a: wrNext,
        b: memNext,
        c: readsTemp,
      });
      for (let b = 0; b < B; b += 1)
        heap.copyWithin(state + ((t + 1) * B + b) * S + C, readsTemp + b * R, readsTemp + (b + 1) * R);
    }
    // Output layer on every step's [h_t | r_t] at once.
    multiplyMatrices(heap, {
      rows: T * B,
      columns: O,
      inner: S,
      a: state + B * S,
      b: wo,
      c: logits,
      bias: bo,
    });
    const values = new Float32Array(B * T * O);
    swapLeadingAxes(heap, logits, values, 0, T, B, O);

    return values;
  }

  function backward(heap: Float32Array, clearedSlot: Int32Array, dyData: Float32Array): Float32Array[] {
    if (!saveAll) throw new Error('fusedMannLogits: this run kept no intermediates for a backward pass');
    swapLeadingAxes(dyData, 0, heap, dl, B, T, O);
    multiplyMatrices(heap, {
      rows: T * B,
      columns: S,
      inner: O,
      a: dl,
      b: wo,
      transposeB: true,
      c: dFeatures,
    });
    multiplyMatrices(heap, {
      rows: S,
      columns: O,
      inner: T * B,
      a: state + B * S,
      transposeA: true,
      b: dl,
      c: dwo,
    });
    heap.fill(0, dh, dh + B * C);
    heap.fill(0, dc, dc + B * C);
    if (on) {
      heap.fill(0, drCarry, drCarry + B * R);
      heap.fill(0, dM, dM + B * N * W);
      heap.fill(0, dwrCarry, dwrCarry + B * H * N);
    }
    for (let t = T - 1; t >= 0; t -= 1) {
      // dh (and dr) at step t: from the output layer and from step t + 1's controller.
      for (let b = 0; b < B; b += 1) {
        const from = dFeatures + (t * B + b) * S;
        for (let j = 0; j < C; j += 1) heap[dh + b * C + j]! += heap[from + j]!;
        if (on)
          for (let j = 0; j < R; j += 1)
            heap[dr + b * R + j] = heap[from + C + j]! + heap[drCarry + b * R + j]!;
      }
      if (on) {
        backwardLrua(heap, clearedSlot, t);
        multiplyMatrices(heap, {
          rows: B,
          columns: C,
          inner: P,
          a: dE + t * B * P,
          b: whT,
          c: tempBC,
        });
        for (let j = 0; j < B * C; j += 1) heap[dh + j]! += heap[tempBC + j]!;
      }
      // LSTM cell.
      const gatesT = gates + t * B * G;
      const dZT = dZ + t * B * G;
      for (let b = 0; b < B; b += 1) {
        const z = gatesT + b * G;
        const d = dZT + b * G;
        const cPrev = cell + (t * B + b) * C;
        const tc = tanhCell + (t * B + b) * C;
        for (let j = 0; j < C; j += 1) {
          const i = heap[z + j]!;
          const f = heap[z + C + j]!;
          const g = heap[z + 2 * C + j]!;
          const o = heap[z + 3 * C + j]!;
          const tanhC = heap[tc + j]!;
          const dHidden = heap[dh + b * C + j]!;
          const dCell = heap[dc + b * C + j]! + dHidden * o * (1 - tanhC * tanhC);
          heap[d + j] = dCell * g * i * (1 - i);
          heap[d + C + j] = dCell * heap[cPrev + j]! * f * (1 - f);
          heap[d + 2 * C + j] = dCell * i * (1 - g * g);
          heap[d + 3 * C + j] = dHidden * tanhC * o * (1 - o);
          heap[dc + b * C + j] = dCell * f;
        }
      }
      // To step t - 1: [dh | dr] = dz [U; W_r]ᵀ.
      multiplyMatrices(heap, { rows: B, columns: S, inner: G, a: dZT, b: wcatT, c: tempBS });
      for (let b = 0; b < B; b += 1) {
        heap.copyWithin(dh + b * C, tempBS + b * S, tempBS + b * S + C);
        if (on) heap.copyWithin(drCarry + b * R, tempBS + b * S + C, tempBS + (b + 1) * S);
      }
    }
    // Weight gradients of all steps at once.
    multiplyMatrices(heap, {
      rows: S,
      columns: G,
      inner: T * B,
      a: state,
      transposeA: true,
      b: dZ,
      c: dwcat,
    });
    if (on)
      multiplyMatrices(heap, {
        rows: C,
        columns: P,
        inner: T * B,
        a: hidden,
        transposeA: true,
        b: dE,
        c: dwh,
      });

    const dProjected = new Float32Array(B * T * G);
    swapLeadingAxes(heap, dZ, dProjected, 0, T, B, G);
    const dInputWeight = new Float32Array((I + (hasHeads ? R : 0)) * G);
    if (on) dInputWeight.set(heap.subarray(dwcat + C * G, dwcat + S * G), I * G);
    const dOutputWeight = new Float32Array((C + (hasHeads ? R : 0)) * O);
    dOutputWeight.set(heap.subarray(dwo, dwo + S * O));
    const columnSums = (from: number, rows: number, columns: number) => {
      const sums = new Float32Array(columns);
      for (let i = 0; i < rows; i += 1)
        for (let j = 0; j < columns; j += 1) sums[j]! += heap[from + i * columns + j]!;
      return sums;
    };
    const gradients = [
      dProjected,
      dInputWeight,
      heap.slice(dwcat, dwcat + C * G),
      dOutputWeight,
      columnSums(dl, T * B, O),
    ];
    if (hasHeads)
      gradients.push(
        on ? heap.slice(dwh, dwh + C * P) : new Float32Array(C * P),
        on ? columnSums(dE, T * B, P) : new Float32Array(P),
      );
    return gradients;
  }

  /** The LRUA step t backward: reads `dr`, `dM`, `dwrCarry`; writes `dE[t]`, `dM` and `dwrCarry` for step t - 1. */
  function backwardLrua(heap: Float32Array, clearedSlot: Int32Array, t: number): void {
    const memPrev = memory + slot(t) * B * N * W;
    const memNext = memory + slot(t + 1) * B * N * W;
    const compared = readsWritten ? memNext : memPrev;
    const comparedNorm = rowNorm + slot(readsWritten ? t + 1 : t) * B * N;
    const wrNext = readW + slot(t + 1) * B * H * N;
    const wrPrev = readW + slot(t) * B * H * N;
    const wwT = writeW + t * B * H * N;
    const simT = similarity + t * B * H * N;
    const keysT = keys + t * B * R;
    const addsT = adds + t * B * R;
    // Reads r = w^r M_t: dw^r = dr M_tᵀ (+ the carry), dM_t += w^rᵀ dr (added below).
    multiplyMatrices(heap, {
      batch: B,
      rows: H,
      columns: N,
      inner: W,
      a: dr,
      b: memNext,
      transposeB: true,
      c: dwr,
    });
    multiplyMatrices(heap, {
      batch: B,
      rows: N,
      columns: W,
      inner: H,
      a: wrNext,
      transposeA: true,
      b: dr,
      c: tempNW,
    });
    // Softmax and key strength, then the cosine: dwr becomes d(dot) in place.
    heap.fill(0, dRowNorm, dRowNorm + B * N);
    const dBeta = new Float64Array(B * H);
    for (let b = 0; b < B; b += 1)
      for (let h = 0; h < H; h += 1) {
        const row = (b * H + h) * N;
        let weighted = 0;
        for (let i = 0; i < N; i += 1) {
          heap[dwr + row + i]! += heap[dwrCarry + row + i]!;
          weighted += heap[wrNext + row + i]! * heap[dwr + row + i]!;
        }
        const strength = heap[beta + (t * B + b) * H + h]!;
        const kn = heap[keyNorm + (t * B + b) * H + h]!;
        let keyNormSum = 0;
        let betaSum = 0;
        for (let i = 0; i < N; i += 1) {
          const dz = heap[wrNext + row + i]! * (heap[dwr + row + i]! - weighted);
          const s = heap[simT + row + i]!;
          betaSum += dz * s;
          const ds = strength * dz;
          keyNormSum += ds * s;
          heap[dRowNorm + b * N + i]! += ds * s;
          heap[dwr + row + i] = ds / (kn * heap[comparedNorm + b * N + i]!);
        }
        dBeta[b * H + h] = betaSum;
        heap[dKeyNorm + b * H + h] = -keyNormSum / kn;
      }
    // dk = d(dot) M + dk_norm k/|k|; dM_compared = d(dot)ᵀ K + dm_norm m/|m| (added below).
    multiplyMatrices(heap, { batch: B, rows: H, columns: W, inner: N, a: dwr, b: compared, c: dk });
    multiplyMatrices(heap, {
      batch: B,
      rows: N,
      columns: W,
      inner: H,
      a: dwr,
      transposeA: true,
      b: keysT,
      c: tempNW2,
    });
    for (let b = 0; b < B; b += 1)
      for (let h = 0; h < H; h += 1) {
        const scale = heap[dKeyNorm + b * H + h]! / heap[keyNorm + (t * B + b) * H + h]!;
        const at = (b * H + h) * W;
        for (let m = 0; m < W; m += 1) heap[dk + at + m]! += scale * heap[keysT + at + m]!;
      }
    if (readsWritten) addCosinePart(heap, compared, comparedNorm, true);
    else for (let j = 0; j < B * N * W; j += 1) heap[dM + j]! += heap[tempNW + j]!;
    // Write M_t = M_{t-1}' + w^wᵀ a: dw^w = a dM_tᵀ, da = w^w dM_t.
    multiplyMatrices(heap, {
      batch: B,
      rows: H,
      columns: N,
      inner: W,
      a: addsT,
      b: dM,
      transposeB: true,
      c: dww,
    });
    multiplyMatrices(heap, { batch: B, rows: H, columns: W, inner: N, a: wwT, b: dM, c: da });
    // dM_{t-1}: the cleared slot's row gets nothing (plus the cosine's part when it read M_{t-1}).
    for (let b = 0; b < B; b += 1) {
      const cleared = clearedSlot[t * B + b]!;
      heap.fill(0, dM + (b * N + cleared) * W, dM + (b * N + cleared + 1) * W);
    }
    if (!readsWritten) addCosinePart(heap, compared, comparedNorm, false);
    // Write weights w^w = σ(α) w^r_{t-1} + (1 - σ(α)) w^lu, then the heads' pre-activations.
    const e = dE + t * B * P;
    for (let b = 0; b < B; b += 1) {
      for (let h = 0; h < H; h += 1) {
        const g = heap[gate + (t * B + b) * H + h]!;
        const row = (b * H + h) * N;
        let dGate = 0;
        for (let i = 0; i < N; i += 1) {
          const d = heap[dww + row + i]!;
          dGate += d * (heap[wrPrev + row + i]! - heap[leastUsed + (t * B + b) * N + i]!);
          heap[dwrCarry + row + i] = g * d;
        }
        heap[e + b * P + alphaAt + h] = dGate * g * (1 - g);
        if (learnsStrength)
          heap[e + b * P + betaAt + h] = dBeta[b * H + h]! * heap[betaSlope + (t * B + b) * H + h]!;
      }
      for (let j = 0; j < R; j += 1) {
        const k = heap[keysT + b * R + j]!;
        const a = heap[addsT + b * R + j]!;
        if (addsSeparate) {
          heap[e + b * P + j] = heap[dk + b * R + j]! * (1 - k * k);
          heap[e + b * P + addsAt + j] = heap[da + b * R + j]! * (1 - a * a);
        } else heap[e + b * P + j] = (heap[dk + b * R + j]! + heap[da + b * R + j]!) * (1 - k * k);
      }
    }
  }

  /** dM += tempNW2 + (dm_norm / |m|) m, row by row (and tempNW first when `withReads`). */
  function addCosinePart(
    heap: Float32Array,
    compared: number,
    comparedNorm: number,
    withReads: boolean,
  ): void {
    for (let b = 0; b < B; b += 1)
      for (let i = 0; i < N; i += 1) {
        const rn = heap[comparedNorm + b * N + i]!;
        const scale = -heap[dRowNorm + b * N + i]! / (rn * rn);
        const at = (b * N + i) * W;
        if (withReads)
          for (let m = 0; m < W; m += 1)
            heap[dM + at + m]! +=
              heap[tempNW + at + m]! + heap[tempNW2 + at + m]! + scale * heap[compared + at + m]!;
        else
          for (let m = 0; m < W; m += 1)
            heap[dM + at + m]! += heap[tempNW2 + at + m]! + scale * heap[compared + at + m]!;
      }
  }

  if (r.size > 2 ** 31 - 1)
    throw new RangeError(
      `fusedMannLogits: ${B} episodes of ${T} steps need ${r.size} floats of intermediates (more than 2^31); pass fewer episodes at a time`,
    );
  return { size: r.size, hasHeads, forward, backward };
}
