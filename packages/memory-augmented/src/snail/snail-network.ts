/**
 * SNAIL (Mishra et al. 2018, "A Simple Neural Attentive Meta-Learner"), the network of the RL
 * experiments as lucaslingle/pytorch_rl2 builds it (`rl2/agents/architectures/snail.py`): two
 * temporal-convolution (TC) blocks followed by one causal self-attention head, every layer
 * concatenating its output to its input (dense connections), as pure functions over explicit
 * parameters.
 *
 * - Dense block (input width c, dilation d): a causal convolution of kernel 2, y_t = W0 x_{t-d} +
 *   W1 x_t (x_{t-d} = 0 for t < d), 2F output channels and no bias; LayerNorm over the 2F channels
 *   (gain and bias, sqrt(variance + 1e-8)); sigmoid(first F) * tanh(last F); concatenated to x.
 * - TC block (context T): ceil(log2 T) dense blocks, block l with dilation 2^l and input width
 *   in + l F.
 * - Attention: one bias-free linear from the TC output to 3F split into query, key and value;
 *   softmax(q k^T / sqrt(F)) under a causal mask, times the values; concatenated to its input.
 *   No positional encoding and no LayerNorm (as the peer's `use_ln=False`).
 *
 * Context window (our definition; the peer's rollout attends over its whole growing past): the
 * attention at step t sees steps max(0, t - T + 1)..t, in `apply` and in `step` alike, so that a
 * sequence longer than T is well defined and the incremental state is a ring of T rows. The
 * convolutions are unaffected: their widest reach, 2^(ceil(log2 T) - 1) steps back, is < T.
 *
 * Two ways to run it, equal to float32 rounding:
 * - `apply`: every step of whole sequences at once (matrix products; exact gradients), for
 *   training;
 * - `step`: one step from a cache of the past, O(T) per step, for rollouts (its features can be
 *   differentiated; its cache is written by TensorScatterUpdate, which core does not differentiate).
 *   `cacheAfter` gives the cache that stepping through a sequence would leave, from `apply`'s
 *   parallel pass.
 *
 * Every convolution is matrix products with a [2c, 2F] matrix: [x_{t-d}, x_t] W in `step`, and in
 * `apply` (x W0) shifted by d steps plus x W1 (the shift of a 2F-wide product by concat + slice,
 * never of the c-wide input): only ops with exact gradients in core (no Conv2D, whose filter
 * gradient the wasm backend lacks). Measured at [250, 100, 17] (input 17, T 100) with wasm and
 * native kernels, a forward+backward grew the wasm heap to about 3.7 GiB (4 GiB at most):
 * larger batches need minibatches.
 */
import { createConfigValidator, type ParamTree, type Rng, requireBackend, tf } from '@metarl/core';

/** Options of `createSnailNetwork`. */
export interface SnailNetworkOptions {
  /** Features of each step's input (the peer's `input_dim`). */
  readonly inputSize: number;
  /** F: features each dense block adds, and the attention's key, query and value size; default 32 (the paper's). */
  readonly featureSize?: number;
  /** T: the context window in steps (sets the number of dense blocks, ceil(log2 T), and the attention's reach). */
  readonly contextSize: number;
}

/** One layer of the network, for reading and for tests. */
export interface SnailLayer {
  /** Its path in the parameter tree, e.g. `temporal1/dense0` or `attention`. */
  readonly name: string;
  /** Features it reads per step. */
  readonly inputSize: number;
  /** Features it outputs per step (its input and what it adds, concatenated). */
  readonly outputSize: number;
  /** The convolution's dilation (2^l for dense block l); null for the attention. */
  readonly dilation: number | null;
  /** Its parameters (floats). */
  readonly parameterCount: number;
}

/** What one incremental step returns (new tensors the caller owns). */
export interface SnailStep {
  /** `[B, outputSize]`: the step's features (equal to `apply`'s at the same step). */
  readonly features: tf.Tensor2D;
  /** `[B, cacheSize]`: the cache after this step. */
  readonly cache: tf.Tensor2D;
}

/**
 * A SNAIL network. Parameters (`init`): for TC block k in 1, 2 and dense block l,
 * `temporal{k}/dense{l}/weight` `[2c, 2F]` (rows 0..c-1 multiply x_{t-d}, rows c..2c-1 multiply
 * x_t; the peer's Conv1d kernel taps 0 and 1), `.../gain` `[2F]`, `.../bias` `[2F]`; and
 * `attention/weight` `[W, 3F]` (columns: query, key, value), W the TC output width.
 *
 * Cache (one flat float32 row of `cacheSize` per sequence): T + 1 rows of `rowSize` = W + 2F
 * floats. Rows 0..T-1 are the ring: the row of step s, at slot s mod T, holds that step's TC output
 * (whose prefixes are every dense block's input), its key and its value. Row T holds the number of
 * steps taken (a float) and zeros, so that the cache is T + 1 rows without a copy. All zeros = no
 * step taken; a sequence restarts when its cache row is zeroed (e.g. multiplied by 1 - done).
 * Sequences of one batch may be at different steps.
 */
export interface SnailNetwork {
  /** Features of each step's input. */
  readonly inputSize: number;
  /** F: features per dense block and the attention's key, query and value size. */
  readonly featureSize: number;
  /** T: the context window in steps. */
  readonly contextSize: number;
  /** Dense blocks per TC block: ceil(log2 T). */
  readonly blocksPerTemporalBlock: number;
  /** Features per step of the output: inputSize + 2 ceil(log2 T) F + F. */
  readonly outputSize: number;
  /** The layers in order: the dense blocks of both TC blocks, then the attention. */
  readonly layers: readonly SnailLayer[];
  /** Floats in the parameter tree. */
  readonly parameterCount: number;
  /** Floats per row of the cache's ring: the TC output width W plus key and value (2F). */
  readonly rowSize: number;
  /** Floats of incremental state per sequence: T + 1 rows of `rowSize` (the ring, then the step counter's row). */
  readonly cacheSize: number;
  /** Fresh parameters drawn with `rng` (PyTorch's defaults, as the peer: U(+-1/sqrt(2c)) convolutions, LayerNorm 1 and 0, Xavier-normal attention). */
  init(rng: Rng): ParamTree;
  /** The features `[B, L, outputSize]` of every step of `inputs` `[B, L, inputSize]` (any L >= 1), each step seeing its window only. */
  apply(params: ParamTree, inputs: tf.Tensor): tf.Tensor3D;
  /** The steps each sequence of `cache` `[B, cacheSize]` has taken (its counter; reads the values). */
  stepsTaken(cache: tf.Tensor): number[];
  /** The zero cache `[batchSize, cacheSize]`: no step taken. */
  initialCache(batchSize: number): tf.Tensor2D;
  /** One step: the features of `input` `[B, inputSize]` after the past held in `cache` `[B, cacheSize]`, and the next cache. */
  step(params: ParamTree, input: tf.Tensor, cache: tf.Tensor): SnailStep;
  /** The cache `[B, cacheSize]` that stepping through `inputs` `[B, L, inputSize]` from the zero cache leaves, from one parallel pass. */
  cacheAfter(params: ParamTree, inputs: tf.Tensor): tf.Tensor2D;
}

/** LayerNorm's epsilon inside the square root (the peer's). */
const LAYER_NORM_EPSILON = 1e-8;
/** Added to the scores outside the window (the peer's mask value): their softmax weight is 0. */
const MASKED_SCORE = -1e10;

/** ceil(log2 T) without floating-point logarithms: the fewest l with 2^l >= T. */
function countDenseBlocks(contextSize: number): number {
  let blocks = 0;
  while (2 ** blocks < contextSize) blocks += 1;
  return blocks;
}

function shapeText(tensor: tf.Tensor): string {
  return `[${tensor.shape.join(', ')}]`;
}

/** Creates a SNAIL network (see `SnailNetwork`); the paper's and the peer's sizes: F = 32. */
export function createSnailNetwork(options: SnailNetworkOptions): SnailNetwork {
  const check = createConfigValidator('createSnailNetwork');
  if (options === null || typeof options !== 'object')
    check.fail(`options must be an object { inputSize, featureSize?, contextSize }, got ${String(options)}`);
  const featureSize = options.featureSize ?? 32;
  check.integer('inputSize', options.inputSize);
  check.integer('featureSize', featureSize);
  check.integer('contextSize', options.contextSize);
  const { inputSize, contextSize } = options;

  // ── Layout ──────────────────────────────────────────────────────────────────
  const blocks = countDenseBlocks(contextSize);
  const layers: SnailLayer[] = [];
  let width = inputSize;
  for (const temporal of [1, 2]) {
    for (let l = 0; l < blocks; l += 1) {
      layers.push({
        name: `temporal${temporal}/dense${l}`,
        inputSize: width,
        outputSize: width + featureSize,
        dilation: 2 ** l,
        parameterCount: 2 * width * 2 * featureSize + 2 * 2 * featureSize,
      });
      width += featureSize;
    }
  }
  const stackSize = width; // W: the TC output width
  layers.push({
    name: 'attention',
    inputSize: stackSize,
    outputSize: stackSize + featureSize,
    dilation: null,
    parameterCount: stackSize * 3 * featureSize,
  });
  const outputSize = stackSize + featureSize;
  const parameterCount = layers.reduce((total, layer) => total + layer.parameterCount, 0);
  const rowSize = stackSize + 2 * featureSize;
  const cacheSize = (contextSize + 1) * rowSize;
  const denseLayers = layers.filter((layer) => layer.dilation !== null);

  const block = (params: ParamTree, name: string): ParamTree => {
    const [temporal, dense] = name.split('/') as [string, string];
    const found = (params[temporal] as ParamTree | undefined)?.[dense];
    if (found === undefined || found instanceof tf.Tensor)
      throw new RangeError(`snail: params have no block '${name}' (use the tree of snail.init)`);
    return found;
  };
  const attentionWeight = (params: ParamTree): tf.Tensor => {
    const weight = (params.attention as ParamTree | undefined)?.weight;
    if (!(weight instanceof tf.Tensor))
      throw new RangeError(`snail: params have no 'attention/weight' (use the tree of snail.init)`);
    return weight;
  };

  // ── Initialisation (PyTorch's defaults, as the peer) ────────────────────────
  function init(rng: Rng): ParamTree {
    requireBackend('creating parameters (snail.init)');
    const tree: Record<string, Record<string, ParamTree>> = { temporal1: {}, temporal2: {} };
    for (const layer of denseLayers) {
      const [temporal, dense] = layer.name.split('/') as [string, string];
      // Conv1d's kaiming_uniform(a = sqrt(5)): U(+-1/sqrt(fan_in)), fan_in = c * kernel = 2c.
      const limit = 1 / Math.sqrt(2 * layer.inputSize);
      const values = new Float32Array(2 * layer.inputSize * 2 * featureSize);
      for (let i = 0; i < values.length; i += 1) values[i] = limit * (2 * rng.next() - 1);
      tree[temporal]![dense] = {
        weight: tf.tensor2d(values, [2 * layer.inputSize, 2 * featureSize]),
        gain: tf.ones([2 * featureSize]),
        bias: tf.zeros([2 * featureSize]),
      };
    }
    // xavier_normal_: N(0, 2 / (fan_in + fan_out)).
    const deviation = Math.sqrt(2 / (stackSize + 3 * featureSize));
    const weights = rng.normal(stackSize * 3 * featureSize).map((value) => deviation * value);
    return {
      ...tree,
      attention: { weight: tf.tensor2d(weights, [stackSize, 3 * featureSize]) },
    };
  }

  // ── One dense block's new features from its convolution ─────────────────────
  /** sigmoid(g) * tanh(f) of LayerNorm(convolved) = [g, f]; `convolved` `[..., 2F]`, output `[..., F]`. */
  function gateFeatures(params: ParamTree, convolved: tf.Tensor): tf.Tensor {
    const mean = tf.mean(convolved, -1, true);
    const centered = tf.sub(convolved, mean);
    const variance = tf.mean(tf.square(centered), -1, true);
    const standardised = tf.mul(centered, tf.rsqrt(tf.add(variance, LAYER_NORM_EPSILON)));
    const normalised = tf.add(tf.mul(params.gain as tf.Tensor, standardised), params.bias as tf.Tensor);
    const [gate, filter] = tf.split(normalised, 2, -1) as [tf.Tensor, tf.Tensor];
    return tf.mul(tf.sigmoid(gate), tf.tanh(filter));
  }

  // ── Parallel forward ────────────────────────────────────────────────────────
  function checkSequence(inputs: tf.Tensor, owner: string): void {
    if (
      !(inputs instanceof tf.Tensor) ||
      inputs.rank !== 3 ||
      inputs.shape[2] !== inputSize ||
      inputs.shape[1] === 0
    )
      throw new RangeError(
        `snail.${owner}: inputs must be a tensor [batch, steps >= 1, ${inputSize}], got ${inputs instanceof tf.Tensor ? shapeText(inputs) : String(inputs)}`,
      );
  }

  /** `[B L, 1]`: 0 at the rows of steps t < d, 1 elsewhere. */
  function startMask(batch: number, steps: number, d: number): tf.Tensor {
    const mask = new Float32Array(batch * steps);
    for (let i = 0; i < mask.length; i += 1) mask[i] = i % steps >= d ? 1 : 0;
    return tf.tensor2d(mask, [batch * steps, 1]);
  }

  /** The TC stack's output `[B L, W]` and every step's query, key and value `[B, L, F]`. */
  function stackAndProjections(params: ParamTree, inputs: tf.Tensor) {
    const [batch, steps] = inputs.shape as [number, number, number];
    const rows = batch * steps;
    let x = tf.reshape(inputs, [rows, inputSize]);
    for (const layer of denseLayers) {
      const c = layer.inputSize;
      const d = layer.dilation!;
      const weights = block(params, layer.name);
      const weight = weights.weight as tf.Tensor;
      // y_t = x_{t-d} W0 + x_t W1 = (x W0)_{t-d} + (x W1)_t: the product (2F wide, not c) is
      // shifted down d rows of the [B L, 2F] view (a leading, contiguous slice) and its rows with
      // t < d, which came from the previous sequence or the padding, are zeroed (times 0: a
      // non-finite value in one sequence's inputs would reach the next sequence's first steps).
      const fromPast = tf.matMul(x, tf.slice(weight, [0, 0], [c, 2 * featureSize]));
      const fromPresent = tf.matMul(x, tf.slice(weight, [c, 0], [c, 2 * featureSize]));
      const shifted = tf.mul(
        tf.slice(tf.concat([tf.zeros([d, 2 * featureSize]), fromPast]), [0, 0], [rows, 2 * featureSize]),
        startMask(batch, steps, d),
      );
      const convolved = tf.add(shifted, fromPresent);
      x = tf.concat([x, gateFeatures(weights, convolved)], 1);
    }
    const projected = tf.reshape(tf.matMul(x, attentionWeight(params)), [batch, steps, 3 * featureSize]);
    const [query, key, value] = tf.split(projected, 3, 2) as [tf.Tensor, tf.Tensor, tf.Tensor];
    return { stack: x, query, key, value };
  }

  function apply(params: ParamTree, inputs: tf.Tensor): tf.Tensor3D {
    checkSequence(inputs, 'apply');
    const steps = inputs.shape[1]!;
    return tf.tidy(() => {
      const { stack, query, key, value } = stackAndProjections(params, inputs);
      // Step t attends to steps s with 0 <= t - s <= T - 1 (the band of the window).
      const band = new Float32Array(steps * steps);
      for (let t = 0; t < steps; t += 1)
        for (let s = 0; s < steps; s += 1)
          band[t * steps + s] = s <= t && t - s < contextSize ? 0 : MASKED_SCORE;
      const scores = tf.add(
        tf.div(tf.matMul(query, key, false, true), Math.sqrt(featureSize)),
        tf.tensor2d(band, [steps, steps]),
      );
      const attended = tf.matMul(tf.softmax(scores), value);
      const batch = inputs.shape[0]!;
      return tf.concat([tf.reshape(stack, [batch, steps, stackSize]), attended], 2) as tf.Tensor3D;
    });
  }

  // ── Incremental step ────────────────────────────────────────────────────────
  function initialCache(batchSize: number): tf.Tensor2D {
    if (!Number.isSafeInteger(batchSize) || batchSize < 1)
      throw new RangeError(`snail.initialCache: batchSize must be an integer >= 1, got ${String(batchSize)}`);
    return tf.zeros([batchSize, cacheSize]);
  }

  function step(params: ParamTree, input: tf.Tensor, cache: tf.Tensor): SnailStep {
    if (!(input instanceof tf.Tensor) || input.rank !== 2 || input.shape[1] !== inputSize)
      throw new RangeError(
        `snail.step: input must be a tensor [batch, ${inputSize}], got ${input instanceof tf.Tensor ? shapeText(input) : String(input)}`,
      );
    const batch = input.shape[0]!;
    if (
      !(cache instanceof tf.Tensor) ||
      cache.rank !== 2 ||
      cache.shape[0] !== batch ||
      cache.shape[1] !== cacheSize
    )
      throw new RangeError(
        `snail.step: cache must be a tensor [${batch}, ${cacheSize}] (snail.initialCache or a previous step's), got ${cache instanceof tf.Tensor ? shapeText(cache) : String(cache)}`,
      );
    return tf.tidy(() => {
      const T = contextSize;
      const F = featureSize;
      // The cache as T + 1 rows (a free reshape). The steps taken are read once (B floats): the
      // rows to read and the window's mask are worked out here, and the reads touch only what
      // they need: the convolutions' past rows, the keys and the values.
      const rows = tf.reshape(cache, [batch, T + 1, rowSize]);
      const position = tf.slice(cache, [0, T * rowSize], [batch, 1]); // t: steps taken, [B, 1]
      const taken = position.dataSync();
      const shared = taken.every((t) => t === taken[0]);

      // The TC outputs of steps t - 2^l (l < blocks), zero where t - 2^l < 0: one slice per block
      // when every sequence is at the same step (rollouts of a batch of trials), else a product
      // with 0/1 row selectors.
      let pastRows: tf.Tensor | undefined;
      if (blocks > 0) {
        const sourceSlot = (t: number, l: number) => (t - 2 ** l >= 0 ? (t - 2 ** l) % T : -1);
        if (shared) {
          pastRows = tf.concat(
            Array.from({ length: blocks }, (_v, l) => {
              const slot = sourceSlot(taken[0]!, l);
              return slot < 0
                ? tf.zeros([batch, 1, rowSize])
                : tf.slice(rows, [0, slot, 0], [batch, 1, rowSize]);
            }),
            1,
          );
        } else {
          const selector = new Float32Array(batch * blocks * (T + 1));
          for (let b = 0; b < batch; b += 1)
            for (let l = 0; l < blocks; l += 1) {
              const slot = sourceSlot(taken[b]!, l);
              if (slot >= 0) selector[(b * blocks + l) * (T + 1) + slot] = 1;
            }
          pastRows = tf.matMul(tf.tensor3d(selector, [batch, blocks, T + 1]), rows); // [B, blocks, rowSize]
        }
      }

      let x = input;
      for (const layer of denseLayers) {
        const l = Math.log2(layer.dilation!);
        const past = tf.reshape(tf.slice(pastRows!, [0, l, 0], [batch, 1, layer.inputSize]), [
          batch,
          layer.inputSize,
        ]);
        const weights = block(params, layer.name);
        const convolved = tf.matMul(tf.concat([past, x], 1), weights.weight as tf.Tensor);
        x = tf.concat([x, gateFeatures(weights, convolved)], 1);
      }
      const [query, key, value] = tf.split(tf.matMul(x, attentionWeight(params)), 3, 1) as [
        tf.Tensor,
        tf.Tensor,
        tf.Tensor,
      ];

      // Attention over the window: the present step and the rows of age 1..min(t, T - 1).
      const scale = Math.sqrt(F);
      const keys = tf.slice(rows, [0, 0, stackSize], [batch, T + 1, F]); // [B, T + 1, F]
      const values = tf.slice(rows, [0, 0, stackSize + F], [batch, T + 1, F]);
      const rowScores = tf.div(tf.reshape(tf.matMul(keys, tf.expandDims(query, 2)), [batch, T + 1]), scale);
      const presentScore = tf.div(tf.sum(tf.mul(query, key), 1, true), scale);
      // The slot j < T holds step s = t - age with age = ((t - 1 - j) mod T) + 1 in 1..T; a row is
      // visible when 1 <= age <= min(t, T - 1); row T (the counter) never is.
      const windowMask = (t: number, out: Float32Array, offset: number) => {
        for (let j = 0; j <= T; j += 1) {
          const age = j < T ? ((((t - 1 - j) % T) + T) % T) + 1 : Number.POSITIVE_INFINITY;
          out[offset + j] = age <= T - 1 && age <= t ? 0 : MASKED_SCORE;
        }
      };
      const mask = new Float32Array((shared ? 1 : batch) * (T + 1));
      for (let b = 0; b < (shared ? 1 : batch); b += 1) windowMask(taken[b]!, mask, b * (T + 1));
      const maskedScores = tf.add(rowScores, tf.tensor2d(mask, [shared ? 1 : batch, T + 1]));
      const weights = tf.softmax(tf.concat([presentScore, maskedScores], 1)); // [B, 2 + T]
      const presentWeight = tf.slice(weights, [0, 0], [batch, 1]);
      const rowWeights = tf.slice(weights, [0, 1], [batch, T + 1]);
      const weightedValues = tf.reshape(tf.matMul(tf.expandDims(rowWeights, 1), values), [batch, F]);
      const attended = tf.add(tf.mul(presentWeight, value), weightedValues);
      const features = tf.concat([x, attended], 1) as tf.Tensor2D;

      // Write this step's row at slot t mod T and the counter row: one scatter of 2B rows into a
      // copy of the cache seen as B (T + 1) rows.
      const firstRows = Int32Array.from({ length: batch }, (_v, b) => b * (T + 1));
      const writeSlot = tf.cast(tf.mod(position, T), 'int32'); // [B, 1]
      const indices = tf.concat([
        tf.add(tf.tensor2d(firstRows, [batch, 1], 'int32'), writeSlot),
        tf.tensor2d(
          firstRows.map((first) => first + T),
          [batch, 1],
          'int32',
        ),
      ]); // [2B, 1]
      const counterRow = tf.pad(tf.add(position, 1), [
        [0, 0],
        [0, rowSize - 1],
      ]);
      const updates = tf.concat([tf.concat([x, key, value], 1), counterRow]); // [2B, rowSize]
      const nextCache = tf.reshape(
        tf.tensorScatterUpdate(tf.reshape(cache, [batch * (T + 1), rowSize]), indices, updates),
        [batch, cacheSize],
      ) as tf.Tensor2D;
      return { features, cache: nextCache };
    });
  }

  function cacheAfter(params: ParamTree, inputs: tf.Tensor): tf.Tensor2D {
    checkSequence(inputs, 'cacheAfter');
    const [batch, steps] = inputs.shape as [number, number, number];
    return tf.tidy(() => {
      const T = contextSize;
      const { key, value, ...rest } = stackAndProjections(params, inputs);
      const stack = tf.reshape(rest.stack, [batch, steps, stackSize]);
      const kept = Math.min(steps, T);
      const rows = tf.slice(tf.concat([stack, key, value], 2), [0, steps - kept, 0], [batch, kept, rowSize]);
      let ring: tf.Tensor;
      if (steps < T) {
        ring = tf.pad(rows, [
          [0, 0],
          [0, T - steps],
          [0, 0],
        ]); // step s at slot s; later slots unwritten
      } else {
        // rows[i] is step L - T + i, at slot (L + i) mod T: slot 0 holds rows[(T - L mod T) mod T].
        const first = (T - (steps % T)) % T;
        ring =
          first === 0
            ? rows
            : tf.concat(
                [
                  tf.slice(rows, [0, first, 0], [batch, T - first, rowSize]),
                  tf.slice(rows, [0, 0, 0], [batch, first, rowSize]),
                ],
                1,
              );
      }
      // The counter row: the number of steps, then zeros.
      const counter = tf.pad(tf.fill([batch, 1], steps), [
        [0, 0],
        [0, rowSize - 1],
      ]);
      return tf.concat([tf.reshape(ring, [batch, T * rowSize]), counter], 1) as tf.Tensor2D;
    });
  }

  return {
    inputSize,
    featureSize,
    contextSize,
    blocksPerTemporalBlock: blocks,
    outputSize,
    layers,
    parameterCount,
    rowSize,
    cacheSize,
    init,
    apply,
    stepsTaken(cache) {
      if (cache.rank !== 2 || cache.shape[1] !== cacheSize)
        throw new RangeError(`snail.stepsTaken: cache must be [B, ${cacheSize}], got ${shapeText(cache)}`);
      const counters = tf.tidy(() => tf.slice(cache, [0, contextSize * rowSize], [cache.shape[0]!, 1]));
      const values = Array.from(counters.dataSync());
      counters.dispose();
      return values;
    },
    initialCache,
    step,
    cacheAfter,
  };
}
