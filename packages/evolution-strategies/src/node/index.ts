// @metarl/evolution-strategies/node: engines that need Node (worker threads, BullMQ on Redis).
export type { Executor } from '../executor';
// Fitness on worker threads (Piscina) and across machines (BullMQ on Redis).
export {
  type BullmqExecutorOptions,
  type BullmqWorker,
  type BullmqWorkerOptions,
  createBullmqExecutor,
  runBullmqWorker,
} from './bullmq-executor';
export { createWorkerThreadExecutor, type WorkerThreadExecutorOptions } from './worker-thread-executor';
