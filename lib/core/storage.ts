// A tensor's memory: a Float32Array on the CPU or a DeviceBuffer on the CUDA device. The addon's
// bindings that have CUDA kernels take either (all arrays of one call in the same place), so ops
// allocate their outputs next to their inputs with these helpers and stay device-agnostic.
import { native } from '../native/load-addon';
import { expectCuda } from '../native/cuda-status';
import { acquireFloat32, acquireInt32, trackDeviceBuffer } from './memory';
import type { DeviceBuffer, IndexBuffer } from '../native/addon-api';

export type { DeviceBuffer } from '../native/addon-api';
export type Device = 'cpu' | 'cuda';
export type Storage = Float32Array | DeviceBuffer;

export function deviceOf(s: Storage): Device {
  return s instanceof Float32Array ? 'cpu' : 'cuda';
}

/**
 * n floats on device with unspecified contents, for outputs a kernel overwrites: from the CPU pool
 * (lib/core/memory.ts) or the device's stream-ordered pool. Use zeros() where zeros are needed.
 */
export function allocate(device: Device, n: number): Storage {
  if (device === 'cpu') return acquireFloat32(n);
  expectCuda('allocate');
  return newDeviceBuffer(n);
}

/** n floats of device memory, counted by the allocator (lib/core/memory.ts) so autograd can release it. */
function newDeviceBuffer(n: number): DeviceBuffer {
  return trackDeviceBuffer(new (native().DeviceBuffer)(n));
}

/** n floats next to s (same device); see allocate(). */
export function allocateLike(s: Storage, n: number = s.length): Storage {
  return allocate(deviceOf(s), n);
}

/** n zeros on device. */
export function zeros(device: Device, n: number): Storage {
  const out = allocate(device, n);
  if (out instanceof Float32Array) out.fill(0);
  else native().fill(out, 0);
  return out;
}

/** n copies of value next to s. */
export function filledLike(s: Storage, n: number, value: number): Storage {
  const out = allocateLike(s, n);
  native().fill(out, value);
  return out;
}

/** A copy of s on the same device. */
export function copyOf(s: Storage): Storage {
  if (s instanceof Float32Array) return s.slice();
  const out = newDeviceBuffer(s.length);
  out.copyFrom(s);
  return out;
}

/** s's values in host memory: s itself on the CPU (not a copy), a download from CUDA. */
export function hostView(s: Storage): Float32Array {
  if (s instanceof Float32Array) return s;
  const out = new Float32Array(s.length);
  s.download(out);
  return out;
}

/** s's values on device: s itself when already there, else a copy. `op` names the caller in errors. */
export function onDevice(s: Storage, device: Device, op: string): Storage {
  if (deviceOf(s) === device) return s;
  if (device === 'cpu') return hostView(s);
  expectCuda(op);
  const out = newDeviceBuffer(s.length);
  out.upload(s as Float32Array);
  return out;
}

/** Copies source's values into target in place (any devices, same length). */
export function copyInto(target: Storage, source: Storage): void {
  if (target instanceof Float32Array) {
    if (source instanceof Float32Array) target.set(source);
    else source.download(target);
  } else if (source instanceof Float32Array) {
    target.upload(source);
  } else {
    target.copyFrom(source);
  }
}

/** n int32 slots on device (max-pool indices): an Int32Array, or a DeviceBuffer's 4-byte elements. */
export function allocateIndices(device: Device, n: number): IndexBuffer {
  return device === 'cpu' ? acquireInt32(n) : (allocate('cuda', n) as DeviceBuffer);
}

/** int32 values (class targets) on device: the array itself on the CPU, an upload of its bytes on CUDA. */
export function indicesOn(device: Device, values: Int32Array): IndexBuffer {
  if (device === 'cpu') return values;
  const out = allocate('cuda', values.length) as DeviceBuffer;
  out.upload(new Float32Array(values.buffer, values.byteOffset, values.length)); // the bytes, not float values
  return out;
}

/** The value of a one-element storage (a loss, a scalar gradient), read back from the device if needed. */
export function scalarOf(s: Storage): number {
  if (s instanceof Float32Array) return s[0];
  return hostView(s)[0];
}

/** A one-element storage holding value, next to like. */
export function scalarLike(like: Storage, value: number): Storage {
  return onDevice(Float32Array.of(value), deviceOf(like), 'scalar');
}
