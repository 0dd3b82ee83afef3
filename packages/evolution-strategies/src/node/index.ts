// @metarl/evolution-strategies/node: engines that need Node (worker threads, BullMQ on Redis).
export type { Executor } from '../executor';
