/** Raised when a backend cannot be used; `message` names the fix. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}
