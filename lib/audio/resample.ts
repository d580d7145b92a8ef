// Band-limited resampling by windowed sinc: torchaudio.functional.resample's default method
// ("sinc_interp_hann", lowpass_filter_width 6, rolloff 0.99). The rates are reduced by their gcd to
// orig/new; each of the `new` output phases has its own kernel of 2·width + orig taps, applied with
// stride orig over the input zero-padded by width on the left and width + orig on the right.

export interface ResampleOptions {
  /** Zero crossings of the sinc on each side (sharper but longer). Default 6. */
  lowpassFilterWidth?: number;
  /** The cutoff as a fraction of the lower Nyquist frequency (room for the filter's roll-off). Default 0.99. */
  rolloff?: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

interface SincKernel {
  orig: number;
  next: number;
  width: number;
  /** next × (2·width + orig) taps. */
  taps: Float64Array;
  /** Per phase, the range of taps that are not zero (the window ends well inside the span). */
  first: Int32Array;
  end: Int32Array;
}

// Rates that share no large divisor (44100 → 44101) would need billions of taps: refused, not attempted.
const MAX_SINC_TAPS = 2 ** 24;
const MAX_OUTPUT_SAMPLES = 2 ** 31 - 1; // a Float32Array's and a tensor's limit

function sincKernel(origRate: number, newRate: number, lowpassFilterWidth: number, rolloff: number): SincKernel {
  const g = gcd(origRate, newRate);
  const orig = origRate / g;
  const next = newRate / g;
  const baseFreq = Math.min(orig, next) * rolloff;
  const width = Math.ceil((lowpassFilterWidth * orig) / baseFreq);
  const len = 2 * width + orig;
  if (next * len > MAX_SINC_TAPS) {
    throw new RangeError(
      `resample: ${origRate} Hz → ${newRate} Hz reduces to ${orig}/${next} (gcd ${g}), whose sinc kernel needs ${next * len} taps, ` +
      `over the limit of ${MAX_SINC_TAPS}; resample through a rate that shares a larger divisor with both`,
    );
  }
  const taps = new Float64Array(next * len);
  const scale = baseFreq / orig;
  for (let j = 0; j < next; j++) {
    for (let k = 0; k < len; k++) {
      let t = (-j / next + (k - width) / orig) * baseFreq;
      t = Math.max(-lowpassFilterWidth, Math.min(lowpassFilterWidth, t));
      const window = Math.cos((t * Math.PI) / lowpassFilterWidth / 2) ** 2;
      const x = t * Math.PI;
      taps[j * len + k] = (x === 0 ? 1 : Math.sin(x) / x) * window * scale;
    }
  }
  const first = new Int32Array(next);
  const end = new Int32Array(next);
  for (let j = 0; j < next; j++) {
    let lo = 0;
    let hi = len;
    while (lo < hi && taps[j * len + lo] === 0) lo++;
    while (hi > lo && taps[j * len + hi - 1] === 0) hi--;
    first[j] = lo;
    end[j] = hi;
  }
  return { orig, next, width, taps, first, end };
}

// A corpus resamples thousands of clips between the same two rates: the kernels are made once.
const kernelCache = new Map<string, SincKernel>();

function cachedSincKernel(origRate: number, newRate: number, lowpassFilterWidth: number, rolloff: number): SincKernel {
  const key = `${origRate}/${newRate}/${lowpassFilterWidth}/${rolloff}`;
  let k = kernelCache.get(key);
  if (!k) {
    if (kernelCache.size >= 16) kernelCache.clear();
    k = sincKernel(origRate, newRate, lowpassFilterWidth, rolloff);
    kernelCache.set(key, k);
  }
  return k;
}

/** `x` sampled at origRate, resampled to newRate: ceil(newRate·length / origRate) samples. */
export function resample(x: Float32Array, origRate: number, newRate: number, opts: ResampleOptions = {}): Float32Array {
  const op = 'resample';
  const { lowpassFilterWidth = 6, rolloff = 0.99 } = opts;
  for (const [name, v] of [['origRate', origRate], ['newRate', newRate]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${op}: ${name} expects a positive integer, but got ${v}`);
  }
  if (!Number.isInteger(lowpassFilterWidth) || lowpassFilterWidth < 1) throw new RangeError(`${op}: lowpassFilterWidth expects an integer >= 1, but got ${lowpassFilterWidth}`);
  if (!(rolloff > 0 && rolloff <= 1)) throw new RangeError(`${op}: rolloff expects a number in (0, 1], but got ${rolloff}`);
  if (origRate === newRate) return x.slice();
  const outLength = Math.ceil((newRate * x.length) / origRate);
  if (outLength > MAX_OUTPUT_SAMPLES) throw new RangeError(`resample: ${x.length} samples from ${origRate} Hz to ${newRate} Hz give ${outLength}, more than ${MAX_OUTPUT_SAMPLES}`);
  const { orig, next, width, taps, first, end } = cachedSincKernel(origRate, newRate, lowpassFilterWidth, rolloff);
  const len = 2 * width + orig;
  const out = new Float32Array(outLength);
  for (let o = 0; o < outLength; o++) {
    const block = Math.floor(o / next);
    const j = o - block * next;
    // Output o reads padded input [block·orig, block·orig + len), i.e. x[block·orig − width + k].
    const start = block * orig - width;
    const kLo = Math.max(first[j], -start);
    const kHi = Math.min(end[j], x.length - start);
    let sum = 0;
    for (let k = kLo; k < kHi; k++) sum += x[start + k] * taps[j * len + k];
    out[o] = sum;
  }
  return out;
}
