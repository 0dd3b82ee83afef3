/**
 * Float64 references of MANN for the gradient checks: the LRUA step (the order of
 * `lrua-memory.ts`) and a whole MANN's mean cross-entropy over sequences (the step of
 * `mann-network.ts`), written independently of tfjs on flat row-major arrays.
 */
import { NORM_EPSILON } from '../src/mann/lrua-memory';

/** The LRUA step in float64 for B = 1 (the order of lrua-memory.ts), flat row-major arrays. */
export function referenceLrua(
  slots: number,
  width: number,
  heads: number,
  gamma: number,
  x: {
    memory: Float64Array;
    usage: Float64Array;
    readWeights: Float64Array;
    keys: Float64Array;
    adds: Float64Array;
    gates: Float64Array;
    strengths?: Float64Array;
  },
  readMemory: 'previous' | 'written' = 'previous',
) {
  const order = Array.from({ length: slots }, (_v, i) => i).sort(
    (a, b) => x.usage[a]! - x.usage[b]! || b - a,
  );
  const leastUsed = new Float64Array(slots);
  for (let k = 0; k < heads; k += 1) leastUsed[order[k]!] = 1;
  const writeWeights = new Float64Array(heads * slots);
  for (let h = 0; h < heads; h += 1)
    for (let i = 0; i < slots; i += 1)
      writeWeights[h * slots + i] =
        x.gates[h]! * x.readWeights[h * slots + i]! + (1 - x.gates[h]!) * leastUsed[i]!;
  const memory = Float64Array.from(x.memory);
  for (let m = 0; m < width; m += 1) memory[order[0]! * width + m] = 0;
  for (let i = 0; i < slots; i += 1)
    for (let m = 0; m < width; m += 1)
      for (let h = 0; h < heads; h += 1)
        memory[i * width + m]! += writeWeights[h * slots + i]! * x.adds[h * width + m]!;
  const compared = readMemory === 'written' ? memory : x.memory;
  const readWeights = new Float64Array(heads * slots);
  for (let h = 0; h < heads; h += 1) {
    let keyNorm = NORM_EPSILON;
    for (let m = 0; m < width; m += 1) keyNorm += x.keys[h * width + m]! ** 2;
    keyNorm = Math.sqrt(keyNorm);
    const scores = Array.from({ length: slots }, (_v, i) => {
      let dot = 0;
      let rowNorm = NORM_EPSILON;
      for (let m = 0; m < width; m += 1) {
        dot += x.keys[h * width + m]! * compared[i * width + m]!;
        rowNorm += compared[i * width + m]! ** 2;
      }
      return ((x.strengths?.[h] ?? 1) * dot) / (keyNorm * Math.sqrt(rowNorm));
    });
    const total = scores.reduce((p, s) => p + Math.exp(s), 0);
    for (let i = 0; i < slots; i += 1) readWeights[h * slots + i] = Math.exp(scores[i]!) / total;
  }
  const usage = new Float64Array(slots);
  for (let i = 0; i < slots; i += 1) {
    usage[i] = gamma * x.usage[i]!;
    for (let h = 0; h < heads; h += 1)
      usage[i]! += readWeights[h * slots + i]! + writeWeights[h * slots + i]!;
  }
  const reads = new Float64Array(heads * width);
  for (let h = 0; h < heads; h += 1)
    for (let m = 0; m < width; m += 1)
      for (let i = 0; i < slots; i += 1)
        reads[h * width + m]! += readWeights[h * slots + i]! * memory[i * width + m]!;
  return { reads, memory, usage, readWeights };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => Math.log1p(Math.exp(x));

/** x [rows] times W [rows, columns] plus b [columns] (b optional). */
function affine(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  columns: number,
  bias?: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(columns);
  for (let j = 0; j < columns; j += 1) out[j] = bias?.[j] ?? 0;
  for (let i = 0; i < x.length; i += 1)
    for (let j = 0; j < columns; j += 1) out[j]! += x[i]! * weight[i * columns + j]!;
  return out;
}

/** MANN sizes and switches for `referenceMannLoss` (memory 'on'). */
export interface ReferenceMannShape {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly controllerSize: number;
  readonly memorySlots: number;
  readonly memoryWidth: number;
  readonly heads: number;
  readonly usageDecay: number;
  readonly writeVector: 'key' | 'add';
  readonly keyStrength: 'none' | 'learned';
  readonly readMemory: 'previous' | 'written';
}

/** MANN's params as flat arrays, in the layout of `createMannNetwork` (weights [in, out]). */
export interface ReferenceMannParams {
  readonly inputWeight: Float64Array;
  readonly hiddenWeight: Float64Array;
  readonly bias: Float64Array;
  readonly headWeight: Float64Array;
  readonly headBias: Float64Array;
  readonly outputWeight: Float64Array;
  readonly outputBias: Float64Array;
}

/**
 * Mean over B·T of -log softmax(logits)[label] for MANN from the empty state: inputs [B, T, I],
 * labels [B, T].
 */
export function referenceMannLoss(
  shape: ReferenceMannShape,
  params: ReferenceMannParams,
  inputs: ArrayLike<number>,
  labels: ArrayLike<number>,
  batch: number,
  steps: number,
): number {
  const { inputSize: I, outputSize: O, controllerSize: C, memorySlots: N, memoryWidth: M, heads: H } = shape;
  const adds = shape.writeVector === 'add';
  const strengths = shape.keyStrength === 'learned';
  const headOutputs = H * ((adds ? 2 : 1) * M + 1 + (strengths ? 1 : 0));
  let total = 0;
  for (let b = 0; b < batch; b += 1) {
    let hidden = new Float64Array(C);
    let cell = new Float64Array(C);
    let memory = new Float64Array(N * M);
    let usage = new Float64Array(N);
    let readWeights = new Float64Array(H * N);
    let reads = new Float64Array(H * M);
    for (let t = 0; t < steps; t += 1) {
      const x = Array.from(inputs).slice((b * steps + t) * I, (b * steps + t + 1) * I);
      // Controller: gates [i | f | g | o] from x ⊕ previous reads and the previous hidden state.
      const fromInput = affine([...x, ...reads], params.inputWeight, 4 * C, params.bias);
      const fromHidden = affine(hidden, params.hiddenWeight, 4 * C);
      const nextCell = new Float64Array(C);
      const nextHidden = new Float64Array(C);
      for (let j = 0; j < C; j += 1) {
        const gate = (k: number) => fromInput[k * C + j]! + fromHidden[k * C + j]!;
        nextCell[j] = sigmoid(gate(1)) * cell[j]! + sigmoid(gate(0)) * Math.tanh(gate(2));
        nextHidden[j] = sigmoid(gate(3)) * Math.tanh(nextCell[j]!);
      }
      hidden = nextHidden;
      cell = nextCell;
      // Heads: [keys H·M | adds H·M | α H | β H].
      const emitted = affine(hidden, params.headWeight, headOutputs, params.headBias);
      const keys = emitted.slice(0, H * M).map(Math.tanh);
      let offset = H * M;
      const addVectors = adds ? emitted.slice(offset, offset + H * M).map(Math.tanh) : keys;
      if (adds) offset += H * M;
      const gates = emitted.slice(offset, offset + H).map(sigmoid);
      offset += H;
      const step = referenceLrua(
        N,
        M,
        H,
        shape.usageDecay,
        {
          memory,
          usage,
          readWeights,
          keys,
          adds: addVectors,
          gates,
          ...(strengths ? { strengths: emitted.slice(offset, offset + H).map((z) => 1 + softplus(z)) } : {}),
        },
        shape.readMemory,
      );
      memory = step.memory;
      usage = step.usage;
      readWeights = step.readWeights;
      reads = step.reads;
      const logits = affine([...hidden, ...reads], params.outputWeight, O, params.outputBias);
      const largest = Math.max(...logits);
      const logSum = largest + Math.log(logits.reduce((p, z) => p + Math.exp(z - largest), 0));
      total -= logits[labels[b * steps + t]!]! - logSum;
    }
  }
  return total / (batch * steps);
}
