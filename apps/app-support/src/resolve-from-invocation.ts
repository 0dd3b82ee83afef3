import { resolve } from 'node:path';

/** `path` resolved against the folder the user ran the command in (pnpm's INIT_CWD, else the process's). */
export function resolveFromInvocation(path: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), path);
}
