// Element values against NumPy's bytes (test/fixtures/buffers.json, sections `records`,
// `byteorder`, `half`): structs read as plain objects (nested objects for nested structs, nested
// arrays for sub-arrays) and are written from the same shape; every byte order reads and writes
// correctly; float16 rounds as NumPy does. (The format grammar itself is test/fixtures/formats.json.)
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { type MemoryView, view } from '../lib/index'
import { codeOf } from './helpers'

interface Values {
  format: string
  itemsize: number
  bytes: string
  values: unknown[]
}
interface Record_ extends Values {
  id: string
  numpy: unknown
  count: number
  /** Bytes from one record to the next (NumPy's itemsize; the format may describe fewer). */
  stride: number
  note?: string
}

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'buffers.json'), 'utf8')) as {
  records: Record_[]
  byteorder: Values[]
  half: { value: unknown; bits: number; double_rounding: boolean }[]
}

function bytesOf(hex: string): ArrayBuffer {
  const ab = new ArrayBuffer(hex.length / 2)
  const u8 = new Uint8Array(ab)
  for (let i = 0; i < u8.length; i++) u8[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return ab
}

const hexOf = (ab: ArrayBuffer): string => Buffer.from(ab).toString('hex')

/** The fixture's value encoding (README, buffers.json) decoded to what memview reads. */
function decode(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(decode)
  if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>
    if ('$big' in o) return BigInt(o.$big as string)
    if ('$f' in o) return { nan: NaN, '-0': -0, inf: Infinity, '-inf': -Infinity }[o.$f as string]
    if ('$bytes' in o) return new Uint8Array(Buffer.from(o.$bytes as string, 'hex'))
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(o)) out[k] = decode(v)
    return out
  }
  return x
}

function readAll(fmt: string, hex: string, n: number, stride?: number): MemoryView {
  const v = view(bytesOf(hex), { format: fmt, shape: [n], strides: stride === undefined ? undefined : [stride] })
  expect(v.shape).toEqual([n])
  return v
}

/** Writes `values` into zeroed memory through a view of `fmt` and returns the bytes. */
function writeAll(fmt: string, stride: number, values: unknown[]): string {
  const ab = new ArrayBuffer(stride * values.length)
  const v = view(ab, { format: fmt, shape: [values.length], strides: [stride] })
  values.forEach((x, i) => v.set(i, x))
  return hexOf(ab)
}

describe('struct elements (NumPy structured arrays)', () => {
  it('covers nested structs, sub-arrays, byte orders, padding and every scalar kind', () => {
    const formats = fixture.records.map((r) => r.format).join(' ')
    for (const part of ['T{T{', '(2,3)', '(2)T{', '>', 'xxxx', 'Zd', '>Zf', '3s', '?', 'e', 'q'])
      expect(formats, part).toContain(part)
  })

  for (const r of fixture.records) {
    it(`${r.id}: ${r.format}${r.note ? ` (${r.note})` : ''}`, () => {
      const v = readAll(r.format, r.bytes, r.count, r.stride)
      expect(v.itemsize).toBe(r.itemsize)
      const want = r.values.map(decode)
      for (let i = 0; i < r.count; i++) expect(v.get(i), `record ${i}`).toEqual(want[i])
      expect(v.tolist()).toEqual(want)
      // The same object shape writes the same bytes (padding stays zero, as in np.zeros).
      expect(writeAll(r.format, r.stride, want)).toBe(r.bytes)
      // And what memview reads writes back unchanged.
      expect(writeAll(r.format, r.stride, v.tolist() as unknown[])).toBe(r.bytes)
      if (r.stride === r.itemsize) expect(readAll(r.format, r.bytes, r.count).tolist()).toEqual(want)
    })
  }

  it('a struct set() needs every field, in the right shape', () => {
    const v = view(new ArrayBuffer(16), { format: 'T{i:a:(2)h:b:T{d:x:}:c:}' })
    expect(v.itemsize).toBe(16)
    v.set(0, { a: 1, b: [2, 3], c: { x: 0.5 } })
    expect(v.get(0)).toEqual({ a: 1, b: [2, 3], c: { x: 0.5 } })
    expect(codeOf(() => v.set(0, { a: 1, b: [2, 3] }))).toBe('ERR_MEMVIEW_ARGUMENT')
    expect(codeOf(() => v.set(0, { a: 1, b: [2], c: { x: 0 } }))).toBe('ERR_MEMVIEW_ARGUMENT')
    expect(codeOf(() => v.set(0, 5))).toBe('ERR_MEMVIEW_ARGUMENT')
    expect(v.get(0)).toEqual({ a: 1, b: [2, 3], c: { x: 0.5 } })
  })

  it('a refused struct or sub-array write leaves the element unchanged (all or nothing)', () => {
    const v = view(new ArrayBuffer(16), { format: 'T{i:a:i:b:}' })
    v.set(0, { a: 1, b: 2 })
    expect(codeOf(() => v.set(0, { a: 5, b: 'x' }))).toBe('ERR_MEMVIEW_ARGUMENT')
    expect(v.get(0)).toEqual({ a: 1, b: 2 })
    v.fill({ a: 3, b: 4 })
    expect(v.tolist()).toEqual([{ a: 3, b: 4 }, { a: 3, b: 4 }])
    const w = view(new ArrayBuffer(12), { format: '(3)i' })
    w.set(0, [1, 2, 3])
    expect(codeOf(() => w.set(0, [7, 8, {}]))).toBe('ERR_MEMVIEW_ARGUMENT')
    expect(w.get(0)).toEqual([1, 2, 3])
  })

  it('named padding reads as bytes and keeps its bytes on writes', () => {
    const v = view(new Uint8Array([1, 0, 0, 0, 7, 8]).buffer, { format: '<i:a:2x:pad:' })
    expect(v.get(0)).toEqual({ a: 1, pad: new Uint8Array([7, 8]) })
    v.set(0, { a: 2, pad: new Uint8Array([9, 9]) })
    expect(v.get(0)).toEqual({ a: 2, pad: new Uint8Array([7, 8]) })
  })
})

describe('byte order', () => {
  it('covers both orders of every scalar kind', () => {
    const fmts = fixture.byteorder.map((b) => b.format)
    for (const f of ['>h', '>i', '>q', '>e', '>f', '>d', '>Zf', '>Zd', '<i', '!d', '=H', '>l']) expect(fmts).toContain(f)
  })

  for (const b of fixture.byteorder) {
    it(`'${b.format}' reads and writes NumPy's bytes`, () => {
      const want = b.values.map(decode)
      const v = readAll(b.format, b.bytes, want.length)
      expect(v.itemsize).toBe(b.itemsize)
      expect(v.tolist()).toEqual(want)
      for (let i = 0; i < want.length; i++) expect(v.get(i)).toEqual(want[i])
      expect(writeAll(b.format, b.itemsize, want)).toBe(b.bytes)
      // bulk paths agree with element access: copy, tobytes, fill
      expect(v.copy().tolist()).toEqual(want)
      expect(v.tobytes().toString('hex')).toBe(b.bytes)
      const w = view(new ArrayBuffer(b.itemsize * 3), { format: b.format })
      w.fill(want[1])
      expect(w.tolist()).toEqual([want[1], want[1], want[1]])
    })
  }

  it('a struct mixing orders swaps each field by its own order', () => {
    const v = view(new ArrayBuffer(6), { format: '>h<h>h' })
    v.set(0, { f0: 0x0102, f1: 0x0102, f2: -2 })
    expect(Array.from(new Uint8Array(v.tobytes()))).toEqual([1, 2, 2, 1, 0xff, 0xfe])
  })
})

describe('float16 rounding (NumPy: directly from double, ties to even)', () => {
  const exact = fixture.half.filter((h) => !h.double_rounding)
  const twice = fixture.half.filter((h) => h.double_rounding)

  function bitsOf(x: number): number {
    const v = view(new ArrayBuffer(2), { format: '<e' })
    v.set(0, x)
    return new DataView(v.tobytes().buffer.slice(0)).getUint16(0, true)
  }

  it(`${exact.length} values round as NumPy's`, () => {
    for (const h of exact) expect(bitsOf(decode(h.value) as number), String(decode(h.value))).toBe(h.bits)
  })

  // Values just above or below a float16 tie: rounding through float32 first would land on the tie
  // and round to even; encodeHalf rounds once, from the double, as NumPy.
  it(`${twice.length} values where rounding through float32 first would differ round once, as NumPy`, () => {
    expect(twice.length).toBeGreaterThan(0)
    for (const h of twice) expect(bitsOf(decode(h.value) as number), String(decode(h.value))).toBe(h.bits)
  })

  it('reads every float16 bit pattern as NumPy does (subnormals, infinities, NaN)', () => {
    const all = new Uint16Array(65536)
    for (let i = 0; i < all.length; i++) all[i] = i
    const v = view(all.buffer, { format: '<e' })
    for (const [bits, x] of [[0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x0400, 2 ** -14], [0x7bff, 65504], [0x7c00, Infinity], [0xfc00, -Infinity], [0x8000, -0], [0x3c00, 1], [0xc000, -2]] as const)
      expect(v.get(bits)).toBe(x)
    expect(Number.isNaN(v.get(0x7e00))).toBe(true)
    expect(Number.isNaN(v.get(0xfc01))).toBe(true)
  })
})
