// MemoryView.cast against CPython's memoryview.cast (test/fixtures/buffers.json, section `casts`):
// results (format, shape, strides, bytes, values) and refusals (texts, with memview's codes), plus
// what the grid cannot show: shared memory, base, read-only, 'e', released views.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { type MemoryView, view } from '../lib/index'
import { codeOf } from './helpers'

interface CastSource {
  id: string
  memory: string
  format: string
  shape: number[]
  strides: number[]
  offset: number
  readonly: boolean
}
interface CastResult {
  format: string
  itemsize: number
  ndim: number
  shape: number[]
  strides: number[]
  readonly: boolean
  nbytes: number
  c: boolean
  bytes: string
  tolist: unknown
}
interface CastCase {
  source: string
  format: string
  shape: unknown
  result?: CastResult
  error?: 'TypeError' | 'ValueError'
  message?: string
}

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'buffers.json'), 'utf8')) as {
  casts: { sources: CastSource[]; cases: CastCase[] }
}

/** memview's code for each of memoryview.cast's texts (lib/cast.ts documents the choice). */
const CODES: Record<string, string> = {
  'memoryview: casts are restricted to C-contiguous views': 'ERR_MEMVIEW_LAYOUT',
  'memoryview: cannot cast view with zeros in shape or strides': 'ERR_MEMVIEW_LAYOUT',
  'shape must be a list or a tuple': 'ERR_MEMVIEW_ARGUMENT',
  'memoryview.cast(): elements of shape must be integers': 'ERR_MEMVIEW_ARGUMENT',
  'memoryview: number of dimensions must not exceed 64': 'ERR_MEMVIEW_NDIM',
  'memoryview: cast must be 1D -> ND or ND -> 1D': 'ERR_MEMVIEW_NDIM',
  "memoryview: destination format must be a native single character format prefixed with an optional '@'": 'ERR_MEMVIEW_FORMAT',
  'memoryview: cannot cast between two non-byte formats': 'ERR_MEMVIEW_DTYPE',
  'memoryview: length is not a multiple of itemsize': 'ERR_MEMVIEW_EXTENT',
  'memoryview.cast(): elements of shape must be integers > 0': 'ERR_MEMVIEW_EXTENT',
  'memoryview.cast(): product(shape) > SSIZE_MAX': 'ERR_MEMVIEW_EXTENT',
  'memoryview: product(shape) * itemsize != buffer size': 'ERR_MEMVIEW_EXTENT',
}
const RANGE = new Set(['ERR_MEMVIEW_EXTENT'])

function bytesOf(hex: string): ArrayBuffer {
  const ab = new ArrayBuffer(hex.length / 2)
  const u8 = new Uint8Array(ab)
  for (let i = 0; i < u8.length; i++) u8[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return ab
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex')

function sourceView(s: CastSource): MemoryView {
  return view(bytesOf(s.memory), { format: s.format, shape: s.shape, strides: s.strides, offset: s.offset, readonly: s.readonly })
}

/** Python's tolist() values as memview reads them: 'c' items are numbers, 8-byte ints bigint. */
function expected(x: unknown, bigints: boolean): unknown {
  if (Array.isArray(x)) return x.map((y) => expected(y, bigints))
  if (x !== null && typeof x === 'object') {
    const o = x as Record<string, string>
    if ('$bytes' in o) return parseInt(o.$bytes, 16)
    if ('$big' in o) return BigInt(o.$big)
    if ('$f' in o) return o.$f === 'nan' ? NaN : o.$f === '-0' ? -0 : o.$f === 'inf' ? Infinity : -Infinity
  }
  if (bigints && typeof x === 'number') return BigInt(x)
  return x
}

describe('cast() answers as memoryview.cast (buffers.json casts)', () => {
  const sources = new Map(fixture.casts.sources.map((s) => [s.id, s]))

  it('the grid covers results and every refusal text', () => {
    const messages = new Set(fixture.casts.cases.map((c) => c.message).filter((m) => m !== undefined))
    expect([...messages].sort()).toEqual(Object.keys(CODES).sort())
    expect(fixture.casts.cases.filter((c) => c.result).length).toBeGreaterThan(250)
  })

  for (const s of fixture.casts.sources) {
    const cases = fixture.casts.cases.filter((c) => c.source === s.id)
    it(`${s.id} (${cases.length} casts)`, () => {
      const src = sourceView(sources.get(s.id)!)
      expect([src.format, src.shape, src.strides, src.readonly]).toEqual([s.format, s.shape, s.strides, s.readonly])
      for (const c of cases) {
        const what = `${s.id}.cast(${JSON.stringify(c.format)}, ${JSON.stringify(c.shape)})`
        const run = (): MemoryView => src.cast(c.format, c.shape === null ? undefined : (c.shape as number[]))
        if (c.error !== undefined) {
          let err: (Error & { code?: string }) | undefined
          try {
            run()
          } catch (e) {
            err = e as Error & { code?: string }
          }
          expect(err, what).toBeDefined()
          expect(err!.message, what).toBe(c.message)
          expect(err!.code, what).toBe(CODES[c.message!])
          expect(err, what).toBeInstanceOf(RANGE.has(err!.code!) ? RangeError : TypeError)
          continue
        }
        const r = run()
        const want = c.result!
        expect({ format: r.format, itemsize: r.itemsize, ndim: r.ndim, shape: r.shape, strides: r.strides, readonly: r.readonly, nbytes: r.nbytes, c: r.isCContiguous }, what).toEqual({
          format: want.format,
          itemsize: want.itemsize,
          ndim: want.ndim,
          shape: want.shape,
          strides: want.strides,
          readonly: want.readonly,
          nbytes: want.nbytes,
          c: want.c,
        })
        expect(r.suboffsets, what).toEqual(r.shape.map(() => -1))
        expect(hexOf(r.tobytes()), what).toBe(want.bytes)
        const big = r.itemsize === 8 && 'qQlLnNP'.includes(r.format.replace('@', ''))
        expect(r.tolist(), what).toEqual(expected(want.tolist, big))
        expect(r.base, what).toBe(src.base)
      }
    })
  }
})

describe('cast() beyond the grid', () => {
  it('shares memory with the source, both ways', () => {
    const bytes = new Uint8Array(12)
    const v = view(bytes)
    const ints = v.cast<number>('i', [3])
    ints.set(1, -2)
    expect(Array.from(bytes.slice(4, 8))).toEqual([0xfe, 0xff, 0xff, 0xff])
    bytes[8] = 7
    expect(ints.get(2)).toBe(7)
    const grid = v.cast<number>('B', [3, 4])
    grid.set(2, 3, 9)
    expect(bytes[11]).toBe(9)
    expect(grid.cast<number>('B').shape).toEqual([12])
  })

  it('keeps base and read-only; a copy is writable; shape [] gives 0-d', () => {
    const t = new Float64Array([1.5, 2.5])
    const ro = view(t, { readonly: true })
    const b = ro.cast('B')
    expect([b.readonly, b.base]).toEqual([true, t])
    expect(codeOf(() => b.set(0, 1))).toBe('ERR_MEMVIEW_READONLY')
    expect(b.copy().readonly).toBe(false)
    const one = view(t.subarray(1)).cast('B').cast<number>('d', [])
    expect([one.ndim, one.shape, one.strides, one.size]).toEqual([0, [], [], 1])
    expect(one.get()).toBe(2.5)
  })

  it("accepts 'e' as CPython 3.12+ does (3.11 refused it)", () => {
    const h = new Uint16Array([0x3c00, 0xc000])
    const e = view(h).cast('B').cast<number>('e')
    expect([e.format, e.itemsize, e.shape]).toEqual(['e', 2, [2]])
    expect(e.tolist()).toEqual([1, -2])
    expect(view(new Uint8Array(4)).cast('@e').format).toBe('@e')
    expect(codeOf(() => view(new Int16Array(2)).cast('e'))).toBe('ERR_MEMVIEW_DTYPE')
  })

  it('refuses indirect views, released views and non-string formats', () => {
    const rows = view([new Uint8Array(4), new Uint8Array(4)])
    expect(() => rows.cast('B')).toThrow('memoryview: casts are restricted to C-contiguous views')
    const v = view(new Uint8Array(4))
    expect(codeOf(() => v.cast(4 as unknown as string))).toBe('ERR_MEMVIEW_FORMAT')
    expect(() => v.cast(null as unknown as string)).toThrow("cast() argument 'format' must be a string, not null")
    v.release()
    expect(codeOf(() => v.cast('B'))).toBe('ERR_MEMVIEW_RELEASED')
  })

  it('checks in CPython\'s order', () => {
    const f = view(new Uint8Array(6), { shape: [2, 3], strides: [1, 2] })
    // contiguity before everything
    expect(() => f.cast('x', [0])).toThrow('casts are restricted to C-contiguous views')
    const c2 = view(new Uint8Array(6), { shape: [2, 3] })
    // 1D -> ND rule before the format
    expect(() => c2.cast('x', [6, 1])).toThrow('cast must be 1D -> ND or ND -> 1D')
    // format before the length and the shape elements
    const c1 = view(new Uint8Array(6))
    expect(() => c1.cast('=B', [0])).toThrow('destination format must be')
    expect(() => c1.cast('i', [0])).toThrow('length is not a multiple of itemsize')
    expect(() => c1.cast('B', [2, 0])).toThrow('elements of shape must be integers > 0')
  })
})
