import { defineConfig } from 'tsup';
import { createTsupConfig } from '../../tsup.preset';

export default defineConfig(createTsupConfig({ index: 'src/index.ts' }));
