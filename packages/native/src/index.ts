/**
 * @metarl/native: native CPU kernels that replace the wasm backend's hot kernels in place, on
 * its heap. `@metarl/core` loads it by itself (`useBackend('wasm', { native: 'auto' })`); this
 * entry is for those who call the kernels directly (tests, benchmarks, other backends).
 */
export {
  BINARY_OPERATIONS,
  type BinaryOperation,
  loadNativeKernels,
  NATIVE_INTERFACE_VERSION,
  type NativeIsa,
  type NativeKernels,
  NativeKernelsUnavailableError,
} from './load-native-kernels';
