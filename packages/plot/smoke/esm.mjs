// Plain-node check of the built ESM entry point (run by scripts/check-built-packages.mjs).
import { plotLearningCurve } from '@metarl/plot';

const records = [1, 2, 3].map((iteration) => ({ iteration, 'metaTrain/returnBefore': -10 + iteration }));
const png = await plotLearningCurve(records, { width: 200, height: 100 });
const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
if (!signature.every((byte, i) => png[i] === byte))
  throw new Error('esm: plotLearningCurve did not return a PNG');
console.log(`@metarl/plot ESM: learning curve as a ${png.length}-byte PNG`);
