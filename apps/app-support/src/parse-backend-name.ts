import { listBackends } from '@metarl/core';
import { InvalidArgumentError } from 'commander';

/** An option parser for commander: 'auto' or the name of a registered tensor backend. */
export function parseBackendName(text: string): string {
  const names = listBackends().map((backend) => backend.name);
  if (text !== 'auto' && !names.includes(text))
    throw new InvalidArgumentError(`Expected auto or one of: ${names.join(', ')}.`);
  return text;
}
