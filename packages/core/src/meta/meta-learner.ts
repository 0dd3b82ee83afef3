/**
 * The contract every meta-learner implements (garage's MetaRLAlgorithm idea), so one evaluator
 * and one training loop drive them all. Adaptation never mutates the learner: it returns a new
 * agent.
 */
import type { Rng } from '@metarl/envs';
import type { Checkpoint } from '../checkpoint/checkpoint';
import type { ResumeOptions } from '../checkpoint/checkpoint-setup';
import type { Agent } from '../rl/agent';
import type { EpisodeBatch } from '../rl/rollouts';

/** Metrics of one meta-training step: fixed keys (`metaTrain/returnBefore`, `losses/...`, `time/...`). */
export type MetaMetrics = Readonly<Record<string, number>>;

/** A meta-learner over tasks of type `Task`. */
export interface MetaLearner<Task> {
  /** Algorithm name, e.g. 'maml'; written into checkpoints and checked on restore. */
  readonly kind: string;
  /**
   * How it adapts to a new task, which decides what `evaluateMetaLearner` measures: 'gradient'
   * (`adapt` computes new parameters from exploration episodes; measured before and after each
   * adaptation step) or 'memory' (the agent adapts in its memory as it acts over a trial of
   * episodes on one task, kept across episode boundaries; measured over whole trials).
   */
  readonly adaptation: 'gradient' | 'memory';
  /** Memory learners: the episodes per trial they learn over (the evaluator's default trial length). */
  readonly episodesPerTrial?: number;
  /**
   * The agent that explores new tasks before adaptation. It acts for a `VectorEnv` whose
   * environments form `tasks.length` equal task-major groups (environment i plays task
   * floor(i / (N / T))).
   */
  explorationAgent(tasks: readonly Task[]): Agent;
  /**
   * A task-specific agent from `episodes` gathered by `agent` on the same tasks; never mutates
   * the learner. A memory learner's adapted agent continues each environment's trial.
   */
  adapt(agent: Agent, episodes: EpisodeBatch): Agent;
  /** One outer-loop update over `tasks`; metrics with fixed keys. */
  metaTrainStep(tasks: readonly Task[], rng: Rng): Promise<MetaMetrics>;
  /**
   * Everything needed to resume exactly: params, optimizer, RNG states, step, the resolved
   * config and the `setup` the learner knows (`distribution`: `describeTaskDistribution`,
   * `policy`: `describePolicy`). The tensors are the learner's own: save them before the next
   * step, and do not dispose them.
   */
  toCheckpoint(): Promise<Checkpoint>;
  /**
   * Replaces this learner's state with `checkpoint`'s; takes ownership of its tensors. Refuses
   * (before touching any state) a checkpoint of another kind, or one whose config or setup
   * differs from the learner's in a setting not in `options.allowChanges`, naming every
   * difference (`assertCheckpointFits` with `run`).
   */
  fromCheckpoint(checkpoint: Checkpoint, options?: ResumeOptions): Promise<void>;
  /** Frees the learner's tensors. */
  dispose(): void;
}
