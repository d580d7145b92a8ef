// Turns what `at.tensor(data, shape?)` accepts into float32 storage and a shape, validating
// everything before the storage is allocated. A Float32Array is used as given (no copy).
import { describeValue, expectElementCount, expectShape, formatShape, numelOf } from './shape-checks';

/** A nested array of numbers, any depth (a plain number is a 0-d tensor). */
export type NestedNumbers = number | readonly NestedNumbers[];

export type NumericTypedArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Uint8ClampedArray
  | Int16Array | Uint16Array | Int32Array | Uint32Array;

export type TensorData = Float32Array | NumericTypedArray | NestedNumbers;

export interface Storage {
  storage: Float32Array;
  shape: number[];
}

const OP = 'tensor';

export function toStorage(data: unknown, shapeArg: unknown): Storage {
  const shape = shapeArg == null ? undefined : expectShape(OP, 'shape', shapeArg);
  if (ArrayBuffer.isView(data)) return fromTypedArray(data, shape);
  if (typeof data === 'number') return withShape([1], [], shape, () => Float32Array.of(data));
  if (Array.isArray(data)) return fromNested(data, shape);
  throw new TypeError(
    `${OP}: data expects a Float32Array, another numeric typed array, a number or a (nested) array of numbers, ` +
      `but got ${describeValue(data)}`,
  );
}

function fromTypedArray(data: ArrayBufferView, shape: number[] | undefined): Storage {
  if (data instanceof DataView || data instanceof BigInt64Array || data instanceof BigUint64Array) {
    throw new TypeError(`${OP}: data expects a numeric typed array (not ${data.constructor.name}), since values become float32`);
  }
  const typed = data as NumericTypedArray;
  const length = typed.length;
  return withShape([length], [length], shape, () => (typed instanceof Float32Array ? typed : new Float32Array(typed)));
}

function fromNested(data: readonly unknown[], shape: number[] | undefined): Storage {
  const inferred = inferNestedShape(data);
  expectElementCount(OP, 'data (inferred shape)', inferred);
  checkNested(data, inferred, 0, []);
  const depth = inferred.length - 1;
  return withShape([numelOf(inferred)], inferred, shape, () => new Float32Array(data.flat(depth) as number[]));
}

/** Uses the given shape if any (its element count must match), else the inferred one; allocates last. */
function withShape(count: number[], inferred: number[], shape: number[] | undefined, allocate: () => Float32Array): Storage {
  const length = numelOf(count);
  if (shape !== undefined && numelOf(shape) !== length) {
    throw new RangeError(`${OP}: shape ${formatShape(shape)} needs ${numelOf(shape)} values, but data has ${length}`);
  }
  return { storage: allocate(), shape: shape ?? inferred };
}

/** The shape a nested array claims through its first elements; checkNested then holds every branch to it. */
function inferNestedShape(data: readonly unknown[]): number[] {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

function checkNested(level: readonly unknown[], shape: number[], depth: number, path: number[]): void {
  if (level.length !== shape[depth]) {
    throw new RangeError(
      `${OP}: data is ragged: data${indexPath(path)} has ${level.length} entries, but data${indexPath(path.map(() => 0))} ` +
        `has ${shape[depth]} (inferred shape ${formatShape(shape)})`,
    );
  }
  const leaf = depth === shape.length - 1;
  level.forEach((v, i) => {
    if (leaf) {
      if (typeof v !== 'number') {
        throw new TypeError(`${OP}: data${indexPath([...path, i])} expects a number, but got ${describeValue(v)}`);
      }
    } else if (!Array.isArray(v)) {
      throw new TypeError(`${OP}: data${indexPath([...path, i])} expects an array (inferred shape ${formatShape(shape)}), but got ${describeValue(v)}`);
    } else {
      checkNested(v, shape, depth + 1, [...path, i]);
    }
  });
}

function indexPath(path: number[]): string {
  return path.map((i) => `[${i}]`).join('');
}
