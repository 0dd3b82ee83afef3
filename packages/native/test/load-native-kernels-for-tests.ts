import { loadNativeKernels, type NativeKernels } from '../src/index';

/**
 * The kernels, or undefined with one line saying why when this machine has no binary (no C
 * compiler at build time): the tests that need them skip. With METARL_REQUIRE_NATIVE=1 (CI) a
 * missing binary fails instead.
 */
export function loadNativeKernelsForTests(): NativeKernels | undefined {
  try {
    return loadNativeKernels();
  } catch (error) {
    if (process.env.METARL_REQUIRE_NATIVE === '1') throw error;
    console.warn(`skipping the native kernel tests: ${(error as Error).message}`);
    return undefined;
  }
}
