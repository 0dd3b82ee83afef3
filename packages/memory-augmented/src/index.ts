/**
 * @metarl/memory-augmented: memory-based meta-learners beside RL²'s GRU: SNAIL (Mishra et al.
 * 2018) and MANN (Santoro et al. 2016).
 */

// SNAIL: temporal convolutions and causal attention, parallel and incremental
export { createSnail, type Snail, type SnailLayer, type SnailOptions, type SnailStep } from './snail/snail';
