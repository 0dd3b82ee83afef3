import type { BackendInfo } from '../backend/backend-registry';

/**
 * For tests of native paths: throws when `info` (from `useBackend('wasm')`) has no native kernels
 * although the environment requires them (METARL_REQUIRE_NATIVE=1 and METARL_NATIVE not 'off'),
 * so that a binary that failed to load fails the test instead of silently testing JavaScript.
 * Returns whether the kernels are loaded.
 */
export function requireNativeKernels(info: BackendInfo): boolean {
  if (info.native !== undefined) return true;
  if (process.env.METARL_REQUIRE_NATIVE === '1' && process.env.METARL_NATIVE !== 'off')
    throw new Error(`the native kernels are required here: ${info.nativeUnavailable}`);
  return false;
}
