/**
 * The project's one seeded PRNG (mulberry32). The simulator must answer the same way for the same
 * seed and the same calls, and benchmark job sets and fuzz cases must be reproducible, so every such
 * random choice comes from here, never from Math.random or crypto.
 */
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, bound). */
  int(bound: number): number;
  /** One of `items` (not empty). */
  pick<T>(items: readonly T[]): T;
  /** True with the given probability. */
  chance(probability: number): boolean;
  /** `length` lower-case hex characters. */
  hex(length: number): string;
}

export function mulberry32(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (bound) => Math.floor(next() * bound),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (probability) => next() < probability,
    hex: (length) => {
      let out = '';
      while (out.length < length)
        out += Math.floor(next() * 0x1_0000_0000)
          .toString(16)
          .padStart(8, '0');
      return out.slice(0, length);
    },
  };
}

/**
 * Independent streams per concern, so that e.g. background notification draws (whose timing
 * depends on the wall clock) never shift the sequence of API fault draws or job ids.
 */
export function deriveStream(seed: number, name: string): Prng {
  // FNV-1a of the stream name, mixed into the seed.
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return mulberry32((seed ^ hash) >>> 0);
}
