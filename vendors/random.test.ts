import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Random } from './random.ts';

describe('Random', () => {
  it('seeds from a text as from the first four bytes of its SHA-256, read little-endian', () => {
    for (let i = 0; i < 2_000; i++) {
      const seed = `bench|study|${i}`;
      const fromText = new Random(seed);
      const fromWord = new Random(createHash('sha256').update(seed).digest().readUInt32LE(0));
      expect([fromText.next(), fromText.next()]).toEqual([fromWord.next(), fromWord.next()]);
    }
  });
});
