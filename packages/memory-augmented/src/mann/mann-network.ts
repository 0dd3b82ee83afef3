/**
 * MANN (Santoro et al. 2016, "Meta-Learning with Memory-Augmented Neural Networks"): an LSTM
 * controller with an external memory written by least recently used access (LRUA,
 * `lrua-memory.ts`). One step, in the order of snowkylin/ntm `ntm/mann_cell.py`:
 *
 *  1. controller input = x_t ⊕ r_{t-1} (the previous step's reads, all heads, H·M floats);
 *     LSTM step -> controller output h_t;
 *  2. from h_t, one linear map -> per head a key k = tanh(·) [M], an add vector a = tanh(·) [M]
 *     (writeVector 'add'; else a = k), a gate σ(α) and, with keyStrength 'learned', a key
 *     strength β = 1 + softplus(·) (one scalar each per head; its bias starts where β =
 *     `initialKeyStrength`);
 *  3. the LRUA step (read weights against M_{t-1}, write weights from w^r_{t-1} and the
 *     least-used slots of w^u_{t-1}, zero the least-used slot, write, read r_t from M_t);
 *  4. logits = (h_t ⊕ r_t) W_o + b_o (a softmax over classes in the loss).
 *
 * The initial state is all zeros: empty memory, zero usage, zero previous read weights and reads
 * (the reference starts its memory at 1e-6 with one-hot read weights and usage on slot 0; zero
 * lets an RL agent's "zero the hidden state" mean "empty the memory", and the epsilon inside the
 * cosine's norms keeps zero rows well defined).
 *
 * Modes (`memory`): 'on' (MANN); 'reads-zeroed' (an ablation: the memory is written and read as
 * usual but the controller and the output layer receive zeros in place of the reads, so nothing
 * read can help); 'none' (the plain-LSTM baseline: no memory, no heads, no read inputs; the
 * same controller and output layer over h_t alone, i.e. an LSTM classifier). The baseline is a
 * mode here rather than a second factory so that learners, policies and benchmarks take either
 * through one interface.
 *
 * Parameter count (I inputs, O outputs, C controller units, N×M memory, H heads):
 *  - controller LSTM: (I + H·M)·4C + C·4C + 4C  ('none': I·4C + C·4C + 4C);
 *  - heads: (C + 1)·H(M + 1) with writeVector 'key', (C + 1)·H(2M + 1) with 'add', one more output
 *    per head (C + 1 parameters) with keyStrength 'learned' ('none': 0);
 *  - output: (C + H·M)·O + O                    ('none': C·O + O).
 * At the defaults with I = 405, O = 5: 612,800 + 32,964 + 1,805 = 647,569 ('add': 679,729; 'none': 485,805).
 * Initialisation: Glorot-uniform weights (the LSTM's as in core's `createLstm`, forget-gate bias
 * 1), zero biases except the key strengths' (softplus⁻¹(initialKeyStrength - 1)).
 */
import {
  applyLinear,
  applyLstmCell,
  createLstm,
  initialiseWeights,
  type LstmState,
  type ParamTree,
  type Rng,
  tf,
} from '@metarl/core';
import { canFuseMannSequence, fusedMannLogits } from './fused-mann-sequence';
import { emptyLruaState, type LruaReadMemory, type LruaState, lruaStep } from './lrua-memory';

/** How the memory is used: see the file header. */
export type MannMemoryMode = 'on' | 'reads-zeroed' | 'none';

/** Options of `createMannNetwork`. */
export interface MannNetworkOptions {
  /** Floats per input step x_t (for one-shot episodes: image ⊕ one-hot previous label). */
  readonly inputSize: number;
  /** Outputs per step (classes). */
  readonly outputSize: number;
  /** LSTM controller units C; default 200. */
  readonly controllerSize?: number;
  /** Memory slots N; default 128. */
  readonly memorySlots?: number;
  /** Memory width M (floats per slot, = key and add vector size); default 40. */
  readonly memoryWidth?: number;
  /** Read heads H (as many write heads; also n, the number of least-used slots); default 4. */
  readonly heads?: number;
  /** Usage decay γ (eq. 20); default 0.95, in [0, 1]. */
  readonly usageDecay?: number;
  /** 'on' (default), 'reads-zeroed' (ablation) or 'none' (plain-LSTM baseline). */
  readonly memory?: MannMemoryMode;
  /**
   * What each head writes: 'key' (default; Santoro et al.'s eq. M_t(i) = M_{t-1}(i) + w^w_t(i) k_t,
   * snowkylin's 'summary' strategy: the row written is the key a later read compares with) or
   * 'add' (a separate add vector a_t = tanh(.) per head, NTM-style: snowkylin's default
   * 'separate', with which its published curves were made, and tristandeleu's).
   */
  readonly writeVector?: MannWriteVector;
  /**
   * How sharp the content read is: 'none' (default; the paper's eq. 17, softmax of the cosine
   * similarity itself, so weights span at most e^2 between the best and worst slot) or 'learned'
   * (the Neural Turing Machine's key strength: each head also emits β = 1 + softplus(·) and the
   * read weights are softmax(β · cosine)).
   */
  readonly keyStrength?: MannKeyStrength;
  /**
   * With keyStrength 'learned', the key strength β every head starts at (its bias is set so that
   * 1 + softplus(bias) = β when the controller output is zero); default 1 + ln 2 ≈ 1.69 (a zero
   * bias). A number > 1; ignored with keyStrength 'none'.
   */
  readonly initialKeyStrength?: number;
  /**
   * Which memory a read compares its keys with (`lrua-memory.ts`): 'previous' (default; M_{t-1},
   * snowkylin's order) or 'written' (M_t, after this step's write, tristandeleu's order).
   */
  readonly readMemory?: LruaReadMemory;
}

/** Whether a MANN head scales its cosine similarities by a learned key strength β >= 1. */
export type MannKeyStrength = 'none' | 'learned';

/** What a MANN head writes into memory: its key, or a separate add vector. */
export type MannWriteVector = 'key' | 'add';

/** Options with every default filled in. */
export type ResolvedMannNetworkOptions = Required<MannNetworkOptions>;

/**
 * MANN's recurrent state, a plain record of tensors: the controller's LSTM state and (unless the
 * mode is 'none') the LRUA memory.
 */
export type MannState = {
  /** h [B, C] and c [B, C]. */
  readonly controller: LstmState;
  /** The memory; absent in mode 'none'. */
  readonly memory?: LruaState;
};

/** One step's outputs. */
export interface MannStep {
  /** Unnormalised class scores [B, O]. */
  readonly logits: tf.Tensor;
  /** What the output layer read, h_t ⊕ reads [B, featureSize] (h_t alone in mode 'none'). */
  readonly features: tf.Tensor;
  /** The next state. */
  readonly state: MannState;
}

/** A MANN (or its ablations) as pure functions over explicit params and state. */
export interface MannNetwork {
  /** The options with defaults filled in. */
  readonly options: ResolvedMannNetworkOptions;
  /** Floats in `features` per step: C + H·M ('none': C). */
  readonly featureSize: number;
  /** Number of parameters (see the file header). */
  readonly parameterCount: number;
  /** Fresh params `{ controller: {inputWeight, hiddenWeight, bias}, heads?: {weight, bias}, output: {weight, bias} }`. */
  init(rng: Rng): ParamTree;
  /** The empty state for `batch` sequences (all zeros). */
  initialState(batch: number): MannState;
  /** One step for inputs [B, I]. */
  step(params: ParamTree, input: tf.Tensor, state: MannState): MannStep;
  /** Whole sequences [B, T, I] from `state` (default: `initialState`): logits [B, T, O], features [B, T, F], last state. */
  unroll(
    params: ParamTree,
    inputs: tf.Tensor,
    state?: MannState,
  ): { logits: tf.Tensor; features: tf.Tensor; state: MannState };
  /**
   * Logits [B, T, O] of whole sequences [B, T, I] from the empty state: the same values as
   * `unroll(params, inputs).logits`, computed as one fused op with a hand-written backward pass
   * (`fused-mann-sequence.ts`) where no gradient or exactly one is being recorded, else by `unroll`.
   * Under a gradient it keeps every step's memory until the backward pass: about (T + 1)·B·N·M
   * floats (39 MB at the paper's sizes for 16 episodes of 50 steps); without one, two steps'.
   */
  logits(params: ParamTree, inputs: tf.Tensor): tf.Tensor;
}

function checkInteger(name: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new RangeError(`createMannNetwork: ${name} must be a positive integer, got ${String(value)}`);
}

/** Fills in defaults and validates (errors name the option, the value and the expected form). */
export function resolveMannNetworkOptions(options: MannNetworkOptions): ResolvedMannNetworkOptions {
  const resolved: ResolvedMannNetworkOptions = {
    inputSize: options.inputSize,
    outputSize: options.outputSize,
    controllerSize: options.controllerSize ?? 200,
    memorySlots: options.memorySlots ?? 128,
    memoryWidth: options.memoryWidth ?? 40,
    heads: options.heads ?? 4,
    usageDecay: options.usageDecay ?? 0.95,
    memory: options.memory ?? 'on',
    writeVector: options.writeVector ?? 'key',
    keyStrength: options.keyStrength ?? 'none',
    initialKeyStrength: options.initialKeyStrength ?? 1 + Math.LN2,
    readMemory: options.readMemory ?? 'previous',
  };
  for (const name of [
    'inputSize',
    'outputSize',
    'controllerSize',
    'memorySlots',
    'memoryWidth',
    'heads',
  ] as const)
    checkInteger(name, resolved[name]);
  if (!(resolved.usageDecay >= 0 && resolved.usageDecay <= 1))
    throw new RangeError(
      `createMannNetwork: usageDecay must be a number in [0, 1], got ${String(options.usageDecay)}`,
    );
  if (!['on', 'reads-zeroed', 'none'].includes(resolved.memory))
    throw new RangeError(
      `createMannNetwork: memory must be 'on', 'reads-zeroed' or 'none', got ${JSON.stringify(options.memory)}`,
    );
  if (!['key', 'add'].includes(resolved.writeVector))
    throw new RangeError(
      `createMannNetwork: writeVector must be 'key' or 'add', got ${JSON.stringify(options.writeVector)}`,
    );
  if (!['none', 'learned'].includes(resolved.keyStrength))
    throw new RangeError(
      `createMannNetwork: keyStrength must be 'none' or 'learned', got ${JSON.stringify(options.keyStrength)}`,
    );
  if (!(Number.isFinite(resolved.initialKeyStrength) && resolved.initialKeyStrength > 1))
    throw new RangeError(
      `createMannNetwork: initialKeyStrength must be a finite number > 1, got ${String(options.initialKeyStrength)}`,
    );
  if (!['previous', 'written'].includes(resolved.readMemory))
    throw new RangeError(
      `createMannNetwork: readMemory must be 'previous' or 'written', got ${JSON.stringify(options.readMemory)}`,
    );
  if (resolved.memory !== 'none' && resolved.heads > resolved.memorySlots)
    throw new RangeError(
      `createMannNetwork: heads (${resolved.heads}) must not exceed memorySlots (${resolved.memorySlots}): each step writes to ${resolved.heads} least-used slots`,
    );
  return resolved;
}

/** Creates a MANN (see the file header for the step, the modes and the parameter count). */
export function createMannNetwork(options: MannNetworkOptions): MannNetwork {
  const o = resolveMannNetworkOptions(options);
  const { inputSize, outputSize, controllerSize: C, memorySlots: N, memoryWidth: M, heads: H } = o;
  const hasMemory = o.memory !== 'none';
  const readSize = hasMemory ? H * M : 0;
  const writesAdds = o.writeVector === 'add';
  const learnsStrength = o.keyStrength === 'learned';
  const headOutputs = H * ((writesAdds ? 2 : 1) * M + 1 + (learnsStrength ? 1 : 0));
  const controller = createLstm({ inputSize: inputSize + readSize, hiddenSize: C });
  const featureSize = C + readSize;
  const parameterCount =
    (inputSize + readSize) * 4 * C +
    C * 4 * C +
    4 * C +
    (hasMemory ? C * headOutputs + headOutputs : 0) +
    featureSize * outputSize +
    outputSize;

  const initialState = (batch: number): MannState => {
    checkInteger('initialState batch', batch);
    const lstm = { hidden: tf.zeros([batch, C]), cell: tf.zeros([batch, C]) };
    return hasMemory ? { controller: lstm, memory: emptyLruaState(batch, N, M, H) } : { controller: lstm };
  };

  /** x W_x + b `[..., 4C]`: the controller's gates from the step input (the rows of x in its input weight). */
  const projectInput = (params: ParamTree, inputs: tf.Tensor): tf.Tensor =>
    tf.tidy(() => {
      const lstm = params.controller as ParamTree;
      const fromX = tf.slice(lstm.inputWeight as tf.Tensor, [0, 0], [inputSize, 4 * C]);
      return applyLinear(fromX, lstm.bias as tf.Tensor, inputs, 'mann controller input');
    });

  /**
   * One step from the input's projection `projected` = x_t W_x + b `[B, 4C]` (`projectInput`;
   * `unroll` computes it for every step in one product).
   */
  const advance = (params: ParamTree, projected: tf.Tensor, state: MannState): MannStep =>
    tf.tidy(() => {
      const batch = projected.shape[0]!;
      const output = params.output as ParamTree;
      const lstm = params.controller as ParamTree;
      if (!hasMemory) {
        const next = applyLstmCell(lstm, projected, state.controller);
        const logits = applyLinear(
          output.weight as tf.Tensor,
          output.bias as tf.Tensor,
          next.hidden,
          'mann output',
        );
        return { logits, features: tf.clone(next.hidden), state: { controller: next } };
      }
      const previous = state.memory;
      if (previous === undefined)
        throw new RangeError("mann.step: state.memory is missing (memory mode is not 'none')");
      // What the controller and the output layer see of the reads: zeros in the ablation, as
      // reads · 0 so that the heads stay on the graph (their gradient is exactly zero).
      const visible = (reads: tf.Tensor) => {
        const flat = tf.reshape(reads, [batch, readSize]);
        return o.memory === 'on' ? flat : tf.mul(flat, 0);
      };

      // 1. Controller on x_t ⊕ r_{t-1}: x_t's part of the gates is `projected`, the reads' part
      // comes from the last H·M rows of the input weight.
      const fromReads = tf.slice(lstm.inputWeight as tf.Tensor, [inputSize, 0], [readSize, 4 * C]);
      const next = applyLstmCell(
        lstm,
        tf.add(projected, tf.matMul(visible(previous.reads), fromReads)),
        state.controller,
      );
      // 2. Head parameters from h_t: [keys H·M | adds H·M (writeVector 'add') | α H | β H (keyStrength 'learned')].
      const head = params.heads as ParamTree;
      const emitted = applyLinear(
        head.weight as tf.Tensor,
        head.bias as tf.Tensor,
        next.hidden,
        'mann heads',
      );
      const sizes = [H * M, ...(writesAdds ? [H * M] : []), H, ...(learnsStrength ? [H] : [])];
      const parts = tf.split(emitted, sizes, 1);
      const keys = tf.tanh(tf.reshape(parts[0]!, [batch, H, M]));
      const adds = writesAdds ? tf.tanh(tf.reshape(parts[1]!, [batch, H, M])) : keys;
      const alphas = parts[writesAdds ? 2 : 1]!;
      const strengths = learnsStrength ? tf.add(1, tf.softplus(parts[sizes.length - 1]!)) : undefined;
      // 3. LRUA read/write.
      const { state: memory } = lruaStep(
        previous,
        { keys, adds, gates: tf.sigmoid(alphas), ...(strengths ? { strengths } : {}) },
        o.usageDecay,
        o.readMemory,
      );
      // 4. Output layer on h_t ⊕ r_t.
      const features = tf.concat([next.hidden, visible(memory.reads)], 1);
      const logits = applyLinear(
        output.weight as tf.Tensor,
        output.bias as tf.Tensor,
        features,
        'mann output',
      );
      return { logits, features, state: { controller: next, memory } };
    });

  const checkSequences = (inputs: tf.Tensor, caller: string): void => {
    if (inputs.rank !== 3 || inputs.shape[2] !== inputSize)
      throw new RangeError(
        `mann.${caller}: inputs must be [B, T, ${inputSize}], got [${inputs.shape.join(', ')}]`,
      );
    if (inputs.shape[1]! < 1)
      throw new RangeError(`mann.${caller}: inputs must have at least one step (T >= 1)`);
  };

  const step = (params: ParamTree, input: tf.Tensor, state: MannState): MannStep => {
    if (input.rank !== 2 || input.shape[1] !== inputSize)
      throw new RangeError(`mann.step: input must be [B, ${inputSize}], got [${input.shape.join(', ')}]`);
    const projected = projectInput(params, input);
    const result = advance(params, projected, state);
    projected.dispose();
    return result;
  };

  const network: MannNetwork = {
    options: o,
    featureSize,
    parameterCount,
    init(rng) {
      const params: Record<string, ParamTree> = { controller: controller.init(rng) };
      if (hasMemory) {
        // Zero biases, except the key strengths' (the last H outputs): softplus⁻¹(β₀ - 1), as
        // y + log(1 - e^-y) so that a large β₀ does not overflow.
        const bias = new Float32Array(headOutputs);
        const excess = o.initialKeyStrength - 1;
        if (learnsStrength) bias.fill(excess + Math.log(-Math.expm1(-excess)), headOutputs - H);
        params.heads = { weight: initialiseWeights(rng, C, headOutputs), bias: tf.tensor1d(bias) };
      }
      params.output = {
        weight: initialiseWeights(rng, featureSize, outputSize),
        bias: tf.zeros([outputSize]),
      };
      return params;
    },
    initialState,
    step,
    unroll(params, inputs, state) {
      checkSequences(inputs, 'unroll');
      const [batch, steps] = inputs.shape as [number, number, number];
      return tf.tidy(() => {
        let current = state ?? initialState(batch);
        const logits: tf.Tensor[] = [];
        const features: tf.Tensor[] = [];
        // The controller's input projection of every step in one product.
        const projected = tf.reshape(projectInput(params, tf.reshape(inputs, [batch * steps, inputSize])), [
          batch,
          steps,
          4 * C,
        ]);
        for (const stepProjection of tf.unstack(projected, 1)) {
          const result = advance(params, stepProjection, current);
          logits.push(result.logits);
          features.push(result.features);
          current = result.state;
        }
        return { logits: tf.stack(logits, 1), features: tf.stack(features, 1), state: current };
      });
    },
    logits(params, inputs) {
      checkSequences(inputs, 'logits');
      if (!canFuseMannSequence()) {
        const { logits, features, state } = network.unroll(params, inputs);
        features.dispose();
        disposeMannState(state);
        return logits;
      }
      const [batch, steps] = inputs.shape as [number, number, number];
      return tf.tidy(() => {
        const projected = tf.reshape(projectInput(params, tf.reshape(inputs, [batch * steps, inputSize])), [
          batch,
          steps,
          4 * C,
        ]);
        return fusedMannLogits(o, params, projected);
      });
    },
  };
  return network;
}

/** Frees a MANN state's tensors. */
export function disposeMannState(state: MannState): void {
  tf.dispose([state.controller.hidden, state.controller.cell]);
  if (state.memory !== undefined)
    tf.dispose([state.memory.memory, state.memory.usage, state.memory.readWeights, state.memory.reads]);
}
