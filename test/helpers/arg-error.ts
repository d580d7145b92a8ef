// Asserts the argument-check contract: the right error type, a message naming the op and the
// argument, and inputs left exactly as they were.
import { expect } from 'vitest';
import type { Tensor } from '../../lib';

export function expectArgError(
  call: () => unknown,
  type: RangeErrorConstructor | TypeErrorConstructor,
  op: string,
  argument: string,
  inputs: readonly Tensor[] = [],
): Error {
  const before = inputs.map((t) => t.toFloat32Array());
  let thrown: unknown;
  try {
    call();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `${op}: expected a ${type.name} about ${argument}`).toBeInstanceOf(type);
  const message = (thrown as Error).message;
  expect(message.startsWith(`${op}:`), `message should start with "${op}:" but is: ${message}`).toBe(true);
  expect(message, 'message should name the argument').toContain(argument);
  inputs.forEach((t, i) => expect(t.toFloat32Array(), `input ${i} changed`).toEqual(before[i]));
  return thrown as Error;
}

/** Same for an async op: the promise rejects. */
export async function expectArgRejection(
  call: () => Promise<unknown>,
  type: RangeErrorConstructor | TypeErrorConstructor,
  op: string,
  argument: string,
): Promise<void> {
  let thrown: unknown;
  try {
    await call();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).message.startsWith(`${op}:`)).toBe(true);
  expect((thrown as Error).message).toContain(argument);
}
