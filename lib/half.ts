// IEEE 754 binary16 ('e') <-> number, since Node 20 has no Float16Array.

const f64 = new Float64Array(1)
const hi32 = new Uint32Array(f64.buffer)
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0 // the word holding sign and exponent

/** Decodes the 16 bits of a half-precision float. */
export function decodeHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24
  if (exp === 31) return frac ? NaN : sign * Infinity
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

/** Encodes a number as half-precision bits, rounding once, to nearest even, straight from the
 * double (as NumPy's npy_double_to_half; going through float32 first would round twice). */
export function encodeHalf(x: number): number {
  if (Number.isNaN(x)) return 0x7e00
  f64[0] = x
  const hi = hi32[HI]
  const sign = (hi >>> 16) & 0x8000
  const e = ((hi >>> 20) & 0x7ff) - 1023 + 15 // the half's biased exponent, before rounding
  if (e >= 31) return sign | 0x7c00 // too large, or infinite
  const a = Math.abs(x)
  // Scale so the half's last mantissa bit is the units place: exact (a power of two), then round.
  const q = e <= 0 ? a * 2 ** 24 : a * 2 ** (25 - e)
  let m = Math.floor(q)
  const rest = q - m
  if (rest > 0.5 || (rest === 0.5 && (m & 1) === 1)) m++
  if (e <= 0) return sign | m // subnormal (m === 1024 is the smallest normal's encoding, as it should)
  let exp = e
  if (m === 2048) {
    m = 1024
    exp++
    if (exp >= 31) return sign | 0x7c00
  }
  return sign | (exp << 10) | (m - 1024)
}
