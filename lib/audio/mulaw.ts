// μ-law companding as WaveNet quantises audio: 256 levels (μ = 255), the formulas of
// torchaudio.functional.mu_law_encoding / mu_law_decoding. Input outside [-1, 1] is clipped first
// (torchaudio would return codes outside [0, quantizationChannels)).

function checkChannels(op: string, q: number): void {
  if (!Number.isInteger(q) || q < 2 || q > 65536) throw new RangeError(`${op}: quantizationChannels expects an integer in [2, 65536], but got ${q}`);
}

/** Codes in [0, quantizationChannels): floor((sign(x)·ln(1 + μ|x|)/ln(1 + μ) + 1)/2·μ + 0.5), μ = channels − 1. */
export function muLawEncode(x: Float32Array, quantizationChannels = 256): Int32Array {
  const op = 'muLawEncode';
  checkChannels(op, quantizationChannels);
  const mu = quantizationChannels - 1;
  const denom = Math.log1p(mu);
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (Number.isNaN(v)) throw new RangeError(`${op}: sample ${i} is NaN`);
    const c = v < -1 ? -1 : v > 1 ? 1 : v;
    const f = (Math.sign(c) * Math.log1p(mu * Math.abs(c))) / denom;
    out[i] = Math.floor(((f + 1) / 2) * mu + 0.5);
  }
  return out;
}

/** Samples in [-1, 1] from codes: sign(y)·((1 + μ)^|y| − 1)/μ with y = 2·code/μ − 1. */
export function muLawDecode(codes: Int32Array, quantizationChannels = 256): Float32Array {
  const op = 'muLawDecode';
  checkChannels(op, quantizationChannels);
  const mu = quantizationChannels - 1;
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    if (code < 0 || code > mu) throw new RangeError(`${op}: code ${i} is ${code}, outside [0, ${mu}]`);
    const y = (code / mu) * 2 - 1;
    out[i] = (Math.sign(y) * Math.expm1(Math.abs(y) * Math.log1p(mu))) / mu;
  }
  return out;
}
