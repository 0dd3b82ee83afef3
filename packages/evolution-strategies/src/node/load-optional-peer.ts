/**
 * Optional peer dependencies (piscina, bullmq) are loaded only when an engine that needs them is
 * created, so that the in-process engine works without them; a missing one fails with the
 * command that installs it.
 */

/** The exact install hint of each optional peer. */
const INSTALL: Readonly<Record<string, string>> = {
  piscina: 'npm install piscina@^5.3.2',
  bullmq: 'npm install bullmq@^6.7.0 ioredis@^6.0.0',
};

/** Imports `name`, or throws an error naming the package, who needs it and how to install it. */
export async function loadOptionalPeer<Module>(name: string, neededBy: string): Promise<Module> {
  try {
    return (await import(name)) as Module;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
      throw new Error(
        `${neededBy} needs the optional peer dependency '${name}', which is not installed: ${INSTALL[name] ?? `npm install ${name}`}`,
        { cause: error },
      );
    throw error;
  }
}
