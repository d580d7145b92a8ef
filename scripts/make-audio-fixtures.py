#!/usr/bin/python3
"""Audio fixtures for atrous (test/fixtures/audio-*), checked by test/audio-*.test.ts.

Regenerate (Debian's python3-numpy and python3-torch 1.13, and sox):

    /usr/bin/python3 scripts/make-audio-fixtures.py

Deterministic: every signal comes from numpy's default_rng with a fixed seed. torchaudio is not in
Debian, so its formulas are ported to numpy here in float64 (they are short, and cited below); the
STFT itself is torch.stft, checked against numpy's rfft.

Files:
  audio-reference.json  {"stft": [...], "resample": [...], "mulaw": {...}}
    stft      cases {config, x, power (bins × frames), fbank (nMels × bins; small cases), mel, logmel}: config in
              atrous's names (sampleRate, nFft, winLength, hopLength, nMels, fMin, fMax, melScale,
              norm, center, topDb); power from torch.stft in float64 (periodic Hann window of
              winLength, reflect padding when center), fbank = torchaudio.functional.melscale_fbanks
              ported, mel = fbank @ power, logmel = AmplitudeToDB('power', top_db).
    resample  cases {origRate, newRate, x, y}: torchaudio.functional.resample (sinc_interp_hann,
              lowpass_filter_width 6, rolloff 0.99) ported: its kernel and strided convolution.
    mulaw     {x, codes, decoded}: mu_law_encoding / mu_law_decoding (256 channels) in float64.
  audio-sox-*.wav       written by sox from float32 signals (no dither), one per encoding:
              pcm8, pcm16, pcm24 (sox writes 24-bit as WAVE_FORMAT_EXTENSIBLE), pcm32, float32,
              stereo16 (two channels); ext-float3ch (three float channels, WAVE_FORMAT_EXTENSIBLE float)
              is written by this script (sox writes float only as format 3) and read back by sox.
  audio-sox.json        {name: {"sampleRate", "channels", "encoding", "mono"}}: mono is what sox
              itself decodes from the file (`sox f.wav -t f32`), averaged over channels in float64.
A float array is {"shape": [...], "f32": "<base64 of float32 little-endian>"}.
"""
import base64
import json
import math
import os
import struct
import subprocess
import tempfile

import numpy as np
import torch

torch.set_num_threads(2)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'test', 'fixtures')


def f32(a):
    a = np.ascontiguousarray(np.asarray(a, dtype=np.float32))
    return {'shape': list(a.shape), 'f32': base64.b64encode(a.tobytes()).decode()}


# --- torchaudio.functional.melscale_fbanks, ported --------------------------------------------
def hz_to_mel(f, scale):
    if scale == 'htk':
        return 2595.0 * math.log10(1.0 + f / 700.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    return min_log_mel + math.log(f / min_log_hz) / logstep if f >= min_log_hz else f / f_sp


def mel_to_hz(m, scale):
    if scale == 'htk':
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    mels = np.asarray(m, dtype=np.float64)
    return np.where(mels >= min_log_mel, min_log_hz * np.exp(logstep * (mels - min_log_mel)), f_sp * mels)


def melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm, scale):
    all_freqs = np.linspace(0, sample_rate // 2, n_freqs)
    m_pts = np.linspace(hz_to_mel(f_min, scale), hz_to_mel(f_max, scale), n_mels + 2)
    f_pts = np.array([mel_to_hz(m, scale) for m in m_pts], dtype=np.float64)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts[None, :] - all_freqs[:, None]
    down = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    fb = np.maximum(0.0, np.minimum(down, up))
    if norm == 'slaney':
        fb *= (2.0 / (f_pts[2:n_mels + 2] - f_pts[:n_mels]))[None, :]
    return fb  # n_freqs × n_mels


def power_stft(x, n_fft, win_length, hop, center):
    xt = torch.from_numpy(x.astype(np.float64))
    window = torch.hann_window(win_length, periodic=True, dtype=torch.float64)
    spec = torch.stft(xt, n_fft, hop_length=hop, win_length=win_length, window=window, center=center,
                      pad_mode='reflect', normalized=False, onesided=True, return_complex=True)
    power = (spec.abs() ** 2).numpy()
    # The same with numpy's rfft: the window padded to n_fft in the middle, frames by hand.
    w = np.zeros(n_fft)
    left = (n_fft - win_length) // 2
    w[left:left + win_length] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win_length) / win_length)
    xp = np.pad(x.astype(np.float64), n_fft // 2, mode='reflect') if center else x.astype(np.float64)
    frames = 1 + (len(xp) - n_fft) // hop
    ref = np.stack([np.abs(np.fft.rfft(xp[t * hop:t * hop + n_fft] * w)) ** 2 for t in range(frames)], axis=1)
    assert np.allclose(power, ref, rtol=1e-9, atol=1e-9), 'torch.stft and numpy rfft disagree'
    return power


def stft_case(rng, sample_rate, length, n_fft, win_length, hop, n_mels, f_min=0.0, f_max=None,
              scale='htk', norm=None, center=True, top_db=None):
    t = np.arange(length) / sample_rate
    chirp = 0.5 * np.sin(2 * np.pi * (200 * t + 0.5 * (sample_rate / 3) * t * t / t[-1]))
    x = (chirp + 0.05 * rng.standard_normal(length)).astype(np.float32)
    f_max = sample_rate / 2 if f_max is None else f_max
    power = power_stft(x, n_fft, win_length, hop, center)
    fb = melscale_fbanks(n_fft // 2 + 1, f_min, f_max, n_mels, sample_rate, norm, scale)
    mel = fb.T @ power
    logmel = 10.0 * np.log10(np.maximum(mel, 1e-10))
    if top_db is not None:
        logmel = np.maximum(logmel, logmel.max() - top_db)
    config = {'sampleRate': sample_rate, 'nFft': n_fft, 'winLength': win_length, 'hopLength': hop, 'nMels': n_mels,
              'fMin': f_min, 'fMax': f_max, 'melScale': scale, 'norm': norm, 'center': center, 'topDb': top_db}
    case = {'config': config, 'x': f32(x), 'power': f32(power), 'mel': f32(mel), 'logmel': f32(logmel)}
    if n_mels * (n_fft // 2 + 1) <= 10000:  # the large default case checks its filterbank through mel only
        case['fbank'] = f32(fb.T)
    return case


# --- torchaudio.functional.resample (sinc_interp_hann), ported --------------------------------
def resample(x, orig_freq, new_freq, lowpass_filter_width=6, rolloff=0.99):
    g = math.gcd(orig_freq, new_freq)
    orig, new = orig_freq // g, new_freq // g
    base_freq = min(orig, new) * rolloff
    width = math.ceil(lowpass_filter_width * orig / base_freq)
    idx = np.arange(-width, width + orig, dtype=np.float64)[None, :] / orig
    t = np.arange(0, -new, -1, dtype=np.float64)[:, None] / new + idx
    t *= base_freq
    t = np.clip(t, -lowpass_filter_width, lowpass_filter_width)
    window = np.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    t *= math.pi
    scale = base_freq / orig
    with np.errstate(invalid='ignore', divide='ignore'):
        kernels = np.where(t == 0, 1.0, np.sin(t) / t) * window * scale
    xp = np.pad(x.astype(np.float64), (width, width + orig))
    blocks = (len(xp) - kernels.shape[1]) // orig + 1
    out = np.stack([kernels @ xp[b * orig:b * orig + kernels.shape[1]] for b in range(blocks)]).reshape(-1)
    target = math.ceil(new_freq * len(x) / orig_freq)
    return out[:target]


def mulaw():
    rng = np.random.default_rng(3)
    x = np.concatenate([np.linspace(-1, 1, 101), rng.uniform(-1, 1, 200), [0.0, 1e-6, -1e-6, 1.0, -1.0]]).astype(np.float32)
    mu = 255.0
    xd = x.astype(np.float64)
    x_mu = np.sign(xd) * np.log1p(mu * np.abs(xd)) / np.log1p(mu)
    codes = np.floor((x_mu + 1) / 2 * mu + 0.5).astype(np.int64)
    y = codes / mu * 2 - 1
    decoded = np.sign(y) * (np.exp(np.abs(y) * np.log1p(mu)) - 1) / mu
    return {'x': f32(x), 'codes': codes.tolist(), 'decoded': f32(decoded)}


def write_extensible_float(path, frames, rate):
    """A WAVE_FORMAT_EXTENSIBLE header (SubFormat KSDATAFORMAT_SUBTYPE_IEEE_FLOAT) over float32 frames."""
    channels = frames.shape[1]
    data = frames.astype('<f4').tobytes()
    guid = struct.pack('<H', 3) + bytes([0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71])
    fmt = struct.pack('<HHIIHHHHI', 0xFFFE, channels, rate, rate * 4 * channels, 4 * channels, 32, 22, 32, 0) + guid
    body = b'WAVE' + b'fmt ' + struct.pack('<I', len(fmt)) + fmt + b'data' + struct.pack('<I', len(data)) + data
    with open(path, 'wb') as f:
        f.write(b'RIFF' + struct.pack('<I', len(body)) + body)


def sox_files():
    rng = np.random.default_rng(7)
    rate = 8000
    n = 400
    t = np.arange(n) / rate
    ch = [0.7 * np.sin(2 * np.pi * 440 * t) + 0.1 * rng.uniform(-1, 1, n),
          0.5 * np.sin(2 * np.pi * 1000 * t + 0.3) - 0.2,
          0.3 * rng.uniform(-1, 1, n)]
    specs = {  # name: (channels, sox encoding args)
        'pcm8': (1, ['-e', 'unsigned-integer', '-b', '8']),
        'pcm16': (1, ['-e', 'signed-integer', '-b', '16']),
        'pcm24': (1, ['-e', 'signed-integer', '-b', '24']),
        'pcm32': (1, ['-e', 'signed-integer', '-b', '32']),
        'float32': (1, ['-e', 'floating-point', '-b', '32']),
        'stereo16': (2, ['-e', 'signed-integer', '-b', '16']),
        'ext-float3ch': (3, None),
    }
    encodings = {'pcm8': 'pcm8', 'pcm16': 'pcm16', 'pcm24': 'pcm24', 'pcm32': 'pcm32', 'float32': 'float32', 'stereo16': 'pcm16', 'ext-float3ch': 'float32'}
    meta = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (channels, enc) in specs.items():
            frames = np.stack(ch[:channels], axis=1).astype(np.float32)
            wav = os.path.join(OUT_DIR, f'audio-sox-{name}.wav')
            if enc is None:  # sox writes float as plain format 3 always: this header is written here
                write_extensible_float(wav, frames, rate)
            else:
                raw = os.path.join(tmp, f'{name}.f32')
                frames.tofile(raw)
                subprocess.run(['sox', '-D', '-t', 'f32', '-r', str(rate), '-c', str(channels), raw, *enc, wav], check=True)
            back = subprocess.run(['sox', '-D', wav, '-t', 'f32', '-'], check=True, capture_output=True).stdout
            frames = np.frombuffer(back, dtype='<f4').astype(np.float64).reshape(-1, channels)
            meta[name] = {'sampleRate': rate, 'channels': channels, 'encoding': encodings[name], 'mono': f32(frames.mean(axis=1))}
    return meta


def main():
    rng = np.random.default_rng(1)
    stft = [
        stft_case(rng, 8000, 1600, 256, 200, 80, 40),
        stft_case(rng, 16000, 3200, 512, 400, 200, 128),  # torchaudio's defaults, nFft 400 -> 512
        stft_case(rng, 16000, 2000, 512, 512, 160, 64, f_min=20.0, f_max=7600.0, scale='slaney', norm='slaney', top_db=80.0),
        stft_case(rng, 8000, 1000, 128, 100, 50, 20, scale='slaney', center=False),
    ]
    rs = []
    for orig, new, n in [(22050, 8000, 700), (16000, 8000, 500), (8000, 16000, 300), (44100, 16000, 900), (8000, 11025, 211)]:
        x = rng.standard_normal(n).astype(np.float32)
        rs.append({'origRate': orig, 'newRate': new, 'x': f32(x), 'y': f32(resample(x, orig, new))})
    ref = {'generator': 'scripts/make-audio-fixtures.py', 'torch': torch.__version__, 'numpy': np.__version__,
           'stft': stft, 'resample': rs, 'mulaw': mulaw()}
    with open(os.path.join(OUT_DIR, 'audio-reference.json'), 'w') as f:
        json.dump(ref, f)
        f.write('\n')
    sox_version = subprocess.run(['sox', '--version'], capture_output=True, text=True).stdout.strip()
    with open(os.path.join(OUT_DIR, 'audio-sox.json'), 'w') as f:
        json.dump({'generator': 'scripts/make-audio-fixtures.py', 'sox': sox_version, 'files': sox_files()}, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
