/** Raised when a checkpoint cannot be written, read or resumed; the message names the checkpoint and the problem. */
export class CheckpointError extends Error {
  override readonly name: string = 'CheckpointError';
}
