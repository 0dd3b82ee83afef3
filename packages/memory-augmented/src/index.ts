/**
 * @metarl/memory-augmented: memory-based meta-learners beside RL²'s GRU: SNAIL (Mishra et al.
 * 2018) and MANN (Santoro et al. 2016).
 */
export {};
