import { createRng } from "@mc/core";

/**
 * A seeded, speech-like 16 kHz test signal: alternating silence (faint noise) and "syllables"
 * of a voiced source (glottal-like harmonics of a gliding f0 shaped by two formant resonances,
 * amplitude-modulated at syllable rate) with fricative noise bursts between them.
 */
export function speechLikeSignal(seconds: number, seed = 1): Float32Array {
  const rate = 16_000;
  const rng = createRng(seed);
  const out = new Float32Array(Math.round(seconds * rate));
  const segment = Math.round(0.8 * rate);
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    const t = i / rate;
    const inSegment = i % segment;
    const speaking = Math.floor(i / segment) % 2 === 1;
    let value = 0.002 * rng.normal();
    if (speaking) {
      const progress = inSegment / segment;
      const f0 = 110 + 40 * Math.sin(2 * Math.PI * 0.7 * t) + 30 * progress;
      phase += (2 * Math.PI * f0) / rate;
      let voiced = 0;
      for (let h = 1; h <= 30; h++) {
        const frequency = h * f0;
        if (frequency > 7000) break;
        const formant =
          Math.exp(-(((frequency - 700) / 250) ** 2)) + 0.6 * Math.exp(-(((frequency - 1800) / 350) ** 2)) + 0.05;
        voiced += (formant / h) * Math.sin(h * phase);
      }
      const syllable = Math.max(0, Math.sin((Math.PI * ((inSegment / rate) * 4)) % Math.PI));
      const fricative = inSegment % 4000 < 600 ? 0.05 * rng.normal() : 0;
      value += 0.3 * syllable * voiced + fricative;
    }
    out[i] = value;
  }
  return out;
}
