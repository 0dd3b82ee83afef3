const SHOWN_ELEMENTS = 8;

/**
 * `value` as an error message shows it, unambiguous about its type: strings quoted (`"7"`),
 * bigints with `n` (`7n`), numbers bare (`7`, `-0`, `NaN`), arrays and typed arrays by kind,
 * length and first elements (`Float64Array(2) [0.5, 1]`), other objects by constructor.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (value === null || value === undefined || typeof value === 'boolean') return String(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const elements = value as unknown as ArrayLike<number | bigint>;
    return `${value.constructor.name}(${elements.length}) ${describeElements(elements)}`;
  }
  if (Array.isArray(value)) return describeElements(value);
  const name = (value as object).constructor?.name;
  if (name !== undefined && name !== 'Object') return `a ${name}`;
  try {
    const json = JSON.stringify(value);
    return json.length <= 80 ? json : `${json.slice(0, 77)}...`;
  } catch {
    return 'an object';
  }
}

function describeElements(elements: ArrayLike<unknown>): string {
  const shown = Array.from({ length: Math.min(elements.length, SHOWN_ELEMENTS) }, (_v, i) =>
    describeValue(elements[i]),
  );
  return `[${shown.join(', ')}${elements.length > SHOWN_ELEMENTS ? ', ...' : ''}]`;
}
