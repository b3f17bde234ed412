import { hash, randomBytes } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix time in ms, then random bits. Within one
 * millisecond a 12-bit counter in rand_a keeps the ids of this process ordered.
 */
export function uuidv7(now: number = Date.now()): string {
  if (now === lastMs) {
    sequence = (sequence + 1) & 0xfff;
  } else {
    lastMs = now;
    sequence = randomBytes(2).readUInt16BE(0) & 0x7ff;
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A UUIDv7 whose random bits come from a hash of `key`: the same key and time
 * always give the same id. For events a client may send twice (usage,
 * verdicts), so that the retry is deduplicated like any replay.
 */
export function uuidv7For(key: string, ms: number): string {
  // The hex digest edited in place (one-shot `hash`, no Hash object or Buffer): the first 48 bits
  // are the time, the version nibble 7, the variant bits 10; the rest stay the hash's.
  if (!(ms >= 0 && ms < 2 ** 48)) throw new RangeError(`uuidv7For: time ${ms} is not a Unix time in ms within 48 bits`);
  const hex = hash('sha256', key, 'hex');
  const time = Math.floor(ms).toString(16).padStart(12, '0');
  const variant = VARIANT[hex.charCodeAt(16)]!;
  return `${time.slice(0, 8)}-${time.slice(8)}-7${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A hex digit's char code → the digit with its top two bits set to the variant 10. */
const VARIANT: Record<number, string> = Object.fromEntries([...'0123456789abcdef'].map((c) => [c.charCodeAt(0), (0x8 | (parseInt(c, 16) & 0x3)).toString(16)]));
