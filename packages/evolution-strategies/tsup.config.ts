import { defineConfig } from 'tsup';
import { createTsupConfig } from '../../tsup.preset';

// The worker files are entries of their own: worker threads and BullMQ's sandboxed processes load
// them by path, next to the built node entry (ESM .js and CJS .cjs alike).
export default defineConfig(
  createTsupConfig(
    {
      index: 'src/index.ts',
      node: 'src/node/index.ts',
      'fitness-thread-worker': 'src/node/fitness-thread-worker.ts',
      'bullmq-fitness-processor': 'src/node/bullmq-fitness-processor.ts',
    },
    // Types only for the public entries; shims give the CJS build import.meta.url (to find the worker files).
    { shims: true, dts: { entry: { index: 'src/index.ts', node: 'src/node/index.ts' } } },
  ),
);
