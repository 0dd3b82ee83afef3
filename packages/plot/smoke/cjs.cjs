// Plain-node check of the built CommonJS entry point (run by scripts/check-built-packages.mjs).
const { renderChart } = require('@metarl/plot');

(async () => {
  const png = await renderChart({
    data: {
      values: [
        { a: 'x', b: 1 },
        { a: 'y', b: 2 },
      ],
    },
    mark: 'bar',
    encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } },
  });
  const width = Buffer.from(png).readUInt32BE(16);
  if (Buffer.from(png.subarray(1, 4)).toString('latin1') !== 'PNG' || width < 40)
    throw new Error('cjs: renderChart did not return a PNG');
  console.log(`@metarl/plot CJS: bar chart as a ${width}-pixel-wide PNG`);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
