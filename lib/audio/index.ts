// Audio: WAV files, resampling, μ-law companding and (log-)mel spectrograms.
export { decodeWav, encodeWav, readWav, writeWav, WAV_ENCODINGS, type ReadWavOptions, type WavAudio, type WavEncoding, type WriteWavOptions } from './wav';
export { resample, type ResampleOptions } from './resample';
export { muLawDecode, muLawEncode } from './mulaw';
export { hzToMel, logMelSpectrogram, melFilterbank, melSpectrogram, melToHz, powerSpectrogram, type MelOptions, type MelScale, type Spectrogram } from './mel';
