// Turns what `at.tensor(data, shape?, { dtype? })` accepts into storage and a shape, validating
// everything before the storage is allocated. A Float32Array (float32) or an Int32Array (int32) is
// used as given (no copy). int32 values live in the same Float32Array-typed storage as their bytes
// (see int32Storage), so memory, devices and views treat both dtypes alike.
import { describeValue, expectElementCount, expectShape, formatShape, numelOf } from './shape-checks';

/** A nested array of numbers, any depth (a plain number is a 0-d tensor). */
export type NestedNumbers = number | readonly NestedNumbers[];

export type NumericTypedArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Uint8ClampedArray
  | Int16Array | Uint16Array | Int32Array | Uint32Array;

export type TensorData = Float32Array | NumericTypedArray | NestedNumbers;

export type DType = 'float32' | 'int32';

export interface Storage {
  storage: Float32Array;
  shape: number[];
}

const OP = 'tensor';

/** The int32 values of a, as storage: a Float32Array over the same bytes (not a conversion). */
export function int32Storage(a: Int32Array): Float32Array {
  return new Float32Array(a.buffer, a.byteOffset, a.length);
}

/** The int32 values an int32 tensor's host storage holds (the same bytes, not a copy). */
export function int32View(s: Float32Array): Int32Array {
  return new Int32Array(s.buffer, s.byteOffset, s.length);
}

export function toStorage(data: unknown, shapeArg: unknown, dtype: DType = 'float32'): Storage {
  if (dtype === 'int32') return toInt32Storage(data, shapeArg);
  const shape = shapeArg == null ? undefined : expectShape(OP, 'shape', shapeArg);
  if (ArrayBuffer.isView(data)) return fromTypedArray(data, shape);
  if (typeof data === 'number') return withShape([1], [], shape, () => Float32Array.of(data));
  if (Array.isArray(data)) return fromNested(data, shape);
  throw new TypeError(
    `${OP}: data expects a Float32Array, another numeric typed array, a number or a (nested) array of numbers, ` +
      `but got ${describeValue(data)}`,
  );
}

/** int32 data: an Int32Array used as given, or numbers (typed or nested) that are all integers in int32 range, copied. */
function toInt32Storage(data: unknown, shapeArg: unknown): Storage {
  if (data instanceof Int32Array) {
    const shape = shapeArg == null ? undefined : expectShape(OP, 'shape', shapeArg);
    return withShape([data.length], [data.length], shape, () => int32Storage(data));
  }
  const asFloat = toStorage(data, shapeArg); // every check of shapes and nesting, then the values as numbers
  // Checked from a float64 copy where the source was not float32 already, so 2^24+1 is not rounded first.
  const values = ArrayBuffer.isView(data) ? Float64Array.from(data as unknown as ArrayLike<number>)
    : Array.isArray(data) ? Float64Array.from(data.flat(Infinity) as number[]) : Float64Array.of(data as number);
  const bad = values.findIndex((v) => !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff);
  if (bad >= 0) {
    throw new TypeError(`${OP}: data (dtype 'int32') expects integers in [-2^31, 2^31-1], but element ${bad} (flat index) is ${values[bad]}`);
  }
  return { storage: int32Storage(Int32Array.from(values)), shape: asFloat.shape };
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
