import { defineConfig } from 'tsup';
import { createTsupConfig } from '../../tsup.preset';

// shims: import.meta.url in the CommonJS build (the loader finds prebuilds/ from its own file).
export default defineConfig(createTsupConfig({ index: 'src/index.ts' }, { shims: true }));
