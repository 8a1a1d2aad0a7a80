// Views over every JS source kind: shared memory, attributes, element access and its errors.
import { describe, expect, it } from 'vitest'

import { BufferError, MemoryView, array, view } from '../lib/index'
import { codeOf } from './helpers'

describe('sources share memory with the view', () => {
  const kinds: [string, () => { src: unknown; write: (i: number, v: number) => void; read: (i: number) => number }][] = [
    ['ArrayBuffer', () => { const ab = new ArrayBuffer(24); const dv = new DataView(ab); return { src: ab, write: (i, v) => dv.setInt32(i * 4, v, true), read: (i) => dv.getInt32(i * 4, true) } }],
    ['SharedArrayBuffer', () => { const ab = new SharedArrayBuffer(24); const t = new Int32Array(ab); return { src: ab, write: (i, v) => (t[i] = v), read: (i) => t[i] } }],
    ['Int32Array', () => { const t = new Int32Array(6); return { src: t, write: (i, v) => (t[i] = v), read: (i) => t[i] } }],
    ['Int32Array at an offset', () => { const t = new Int32Array(new ArrayBuffer(40), 8, 6); return { src: t, write: (i, v) => (t[i] = v), read: (i) => t[i] } }],
    ['DataView', () => { const dv = new DataView(new ArrayBuffer(32), 8, 24); return { src: dv, write: (i, v) => dv.setInt32(i * 4, v, true), read: (i) => dv.getInt32(i * 4, true) } }],
  ]
  for (const [name, make] of kinds) {
    it(name, () => {
      const { src, write, read } = make()
      const v = view<number>('int[:, ::1]', src, { shape: [2, 3] })
      write(4, 42)
      expect(v.get(1, 1)).toBe(42)
      v.set(0, 2, -7)
      expect(read(2)).toBe(-7)
      expect(v.base).toBe(src)
    })
  }

  it('Buffer is unsigned bytes', () => {
    const b = Buffer.from([1, 2, 3, 250])
    const v = view<number>(b)
    expect(v.format).toBe('B')
    expect(v.get(-1)).toBe(250)
    v.set(0, 9)
    expect(b[0]).toBe(9)
  })

  it('every TypedArray carries its format', () => {
    const cases: [ArrayBufferView, string, unknown][] = [
      [new Int8Array([-1]), 'b', -1],
      [new Uint8Array([255]), 'B', 255],
      [new Uint8ClampedArray([255]), 'B', 255],
      [new Int16Array([-2]), 'h', -2],
      [new Uint16Array([65535]), 'H', 65535],
      [new Int32Array([-3]), 'i', -3],
      [new Uint32Array([4294967295]), 'I', 4294967295],
      [new Float32Array([0.5]), 'f', 0.5],
      [new Float64Array([0.25]), 'd', 0.25],
      [new BigInt64Array([-5n]), 'q', -5n],
      [new BigUint64Array([5n]), 'Q', 5n],
    ]
    for (const [ta, fmt, first] of cases) {
      const v = view(ta)
      expect(v.format).toBe(fmt)
      expect(v.itemsize).toBe((ta as Int8Array).BYTES_PER_ELEMENT)
      expect(v.get(0)).toBe(first)
    }
  })

  it('a view of a view and of a CyArray share memory and keep the base', () => {
    const t = new Int32Array(12)
    const v = view('int[:, :]', t, { shape: [3, 4] })
    const w = view('int[:, :]', v)
    w.set(2, 3, 5)
    expect(t[11]).toBe(5)
    expect(w.base).toBe(t)
    const arr = array({ shape: [2, 2], format: 'i' })
    const a = view<number>('int[:, ::1]', arr)
    a.set(1, 1, 9)
    expect(arr.memview.get(1, 1)).toBe(9)
    expect(a.base).toBe(arr)
  })
})

describe('attributes', () => {
  it('has every attribute Cython has', () => {
    const v = view('int[:, :, :]', new Int32Array(24), { shape: [2, 3, 4] })
    expect(v.shape).toEqual([2, 3, 4])
    expect(v.strides).toEqual([48, 16, 4])
    expect(v.suboffsets).toEqual([-1, -1, -1])
    expect(v.ndim).toBe(3)
    expect(v.size).toBe(24)
    expect(v.itemsize).toBe(4)
    expect(v.nbytes).toBe(96)
    expect(v.format).toBe('i')
    expect(v.readonly).toBe(false)
    expect(v.length).toBe(2)
    expect(v.isCContiguous).toBe(true)
    expect(v.isFContiguous).toBe(false)
    expect(Object.isFrozen(v.shape) && Object.isFrozen(v.strides) && Object.isFrozen(v.suboffsets)).toBe(true)
    expect(v).toBeInstanceOf(MemoryView)
  })

  it('opts reinterpret bytes with explicit strides and offset', () => {
    const ab = new ArrayBuffer(64)
    const f = new Float64Array(ab)
    f.set([0, 1, 2, 3, 4, 5, 6, 7])
    const v = view<number>(ab, { format: 'd', shape: [2, 2], strides: [32, 8], offset: 8 })
    expect(v.tolist()).toEqual([[1, 2], [5, 6]])
    const r = view<number>(ab, { format: 'd', shape: [4], strides: [-8], offset: 24 })
    expect(r.tolist()).toEqual([3, 2, 1, 0])
  })

  it('8-byte integers are bigint and accept numbers', () => {
    const v = view<bigint>('long long[:]', new BigInt64Array(2))
    v.set(0, 5)
    v.set(1, -(2n ** 63n))
    expect(v.tolist()).toEqual([5n, -(2n ** 63n)])
  })

  it('unaligned and byte-swapped formats read through DataView', () => {
    const b = Buffer.alloc(9)
    b.writeInt32BE(-123456, 1)
    b.writeInt32LE(77, 5)
    const be = view<number>(b.buffer.slice(b.byteOffset, b.byteOffset + 9), { format: '>i', shape: [1], offset: 1 })
    expect(be.get(0)).toBe(-123456)
    const un = view<number>(b, { format: '<i', shape: [2], offset: 1 })
    expect(un.get(1)).toBe(77)
    un.set(1, 99)
    expect(b.readInt32LE(5)).toBe(99)
  })
})

describe('element access', () => {
  const t = Int32Array.from({ length: 12 }, (_, i) => i)
  const v = view<number>('int[:, :]', t, { shape: [3, 4] })

  it('negative indices count from the end', () => {
    expect(v.get(1, 2)).toBe(6)
    expect(v.get(-1, -2)).toBe(10)
    expect(v.get(-3, -4)).toBe(0)
  })

  it('out of bounds is a RangeError naming the axis', () => {
    const err = (() => {
      try {
        v.get(1, 4)
      } catch (e) {
        return e as RangeError & { code: string }
      }
    })()!
    expect(err).toBeInstanceOf(RangeError)
    expect(err.code).toBe('ERR_MEMVIEW_INDEX')
    expect(err.message).toBe('Out of bounds on buffer access (axis 1)')
    expect(codeOf(() => v.get(-4, 0))).toBe('ERR_MEMVIEW_INDEX')
    expect(codeOf(() => v.get(1.5, 0))).toBe('ERR_MEMVIEW_INDEX_SYNTAX') // Cython: a TypeError
    expect(codeOf(() => v.get(NaN, 0))).toBe('ERR_MEMVIEW_INDEX_SYNTAX')
    expect(codeOf(() => v.get(1))).toBe('ERR_MEMVIEW_INDEX')
    expect(codeOf(() => v.get(1, 2, 3))).toBe('ERR_MEMVIEW_INDEX')
    expect(codeOf(() => v.set(3, 0, 1))).toBe('ERR_MEMVIEW_INDEX')
    expect(codeOf(() => (v.get as (...a: unknown[]) => unknown)('1', 0))).toBe('ERR_MEMVIEW_INDEX_SYNTAX')
    expect(codeOf(() => (v.get as (...a: unknown[]) => unknown)(1n, 0))).toBeUndefined() // bigint indices work
  })

  it('works beyond four dimensions and at zero', () => {
    const six = view<number>(new Float64Array(64), { shape: [2, 2, 2, 2, 2, 2] })
    six.set(1, 1, 1, 1, 1, -1, 3.5)
    expect(six.get(-1, 1, 1, 1, 1, 1)).toBe(3.5)
    expect(codeOf(() => six.get(0, 0, 0, 0, 0, 2))).toBe('ERR_MEMVIEW_INDEX')
    const zero = view<number>(new Float64Array([7]), { shape: [] })
    expect(zero.get()).toBe(7)
    expect(zero.ndim).toBe(0)
    expect(zero.size).toBe(1)
  })

  it('read-only views refuse writes', () => {
    const ro = view('int[:, :]', t, { shape: [3, 4], readonly: true })
    expect(ro.readonly).toBe(true)
    expect(codeOf(() => ro.set(0, 0, 1))).toBe('ERR_MEMVIEW_READONLY')
    expect(codeOf(() => view('int[:, :]', ro))).toBe('ERR_MEMVIEW_READONLY')
    expect(view('const int[:, :]', ro).readonly).toBe(true)
  })
})

describe('declaration checks, in Cython order', () => {
  const t = new Int32Array(24)
  it('ndim first', () => {
    const e = (() => { try { view('double[:, :]', t, { shape: [2, 3, 4] }) } catch (x) { return x as Error & { code: string } } })()!
    expect(e.code).toBe('ERR_MEMVIEW_NDIM')
    expect(e.message).toBe('Buffer has wrong number of dimensions (expected 2, got 3)')
    expect(e).toBeInstanceOf(TypeError)
  })
  it('then the element type', () => {
    expect(() => view('double[:]', t)).toThrow("Buffer dtype mismatch, expected 'double' but got 'int'")
    expect(codeOf(() => view('double[:]', t))).toBe('ERR_MEMVIEW_DTYPE')
    expect(() => view('const short[:]', t)).toThrow("Buffer dtype mismatch, expected 'const short' but got 'int'")
    expect(() => view('unsigned int[:]', t)).toThrow("expected 'unsigned int' but got 'int'")
    // Untyped bytes take the declaration's type; opts.format casts explicitly.
    expect(view('double[:]', t.buffer).shape).toEqual([12])
    expect(view('double[:]', t, { format: 'd' }).shape).toEqual([12])
  })
  it('then the layout', () => {
    const f = view('int[:, :]', t, { shape: [4, 6], strides: [4, 16] })
    expect(() => view('int[:, ::1]', f)).toThrow('Buffer and memoryview are not contiguous in the same dimension.')
    expect(codeOf(() => view('int[:, ::1]', f))).toBe('ERR_MEMVIEW_LAYOUT')
    expect(view('int[::1, :]', f).isFContiguous).toBe(true)
    const c = view('int[:, :]', t, { shape: [4, 6] })
    expect(() => view('int[::1, :]', c)).toThrow(/not contiguous in the same dimension|Buffer not fortran contiguous/)
  })
  it('extents outside the source are refused', () => {
    expect(codeOf(() => view(t, { shape: [5, 5] }))).toBe('ERR_MEMVIEW_EXTENT')
    expect(codeOf(() => view(t, { shape: [2], strides: [-4] }))).toBe('ERR_MEMVIEW_EXTENT')
    expect(codeOf(() => view(t, { shape: [2], strides: [4], offset: 92 }))).toBe('ERR_MEMVIEW_EXTENT')
    expect(codeOf(() => view(t, { shape: [2 ** 40, 2 ** 40], strides: [2 ** 40, 4] }))).toBe('ERR_MEMVIEW_EXTENT')
    expect(codeOf(() => view(t, { shape: [-1] }))).toBe('ERR_MEMVIEW_EXTENT')
    expect(codeOf(() => view(new ArrayBuffer(7), { format: 'i' }))).toBe('ERR_MEMVIEW_EXTENT')
  })
  it('bad declarations and sources are coded errors', () => {
    expect(codeOf(() => view('int[:', t))).toBe('ERR_MEMVIEW_DECLARATION')
    expect(codeOf(() => view('foo[:]', t))).toBe('ERR_MEMVIEW_DECLARATION')
    expect(codeOf(() => view('int[:]', 42))).toBe('ERR_MEMVIEW_SOURCE')
    expect(codeOf(() => view('int[:]', {}))).toBe('ERR_MEMVIEW_SOURCE')
    expect(codeOf(() => view('int[:]', null))).toBe('ERR_MEMVIEW_NONE')
    expect(codeOf(() => view(t, { format: 'Q!' }))).toBe('ERR_MEMVIEW_FORMAT')
  })
})

describe('release', () => {
  it('later use throws, slices made earlier keep working', () => {
    const t = new Int32Array(4)
    const v = view<number>(t)
    const s = v.at('1:') as MemoryView<number>
    v.release()
    expect(codeOf(() => v.get(0))).toBe('ERR_MEMVIEW_RELEASED')
    expect(codeOf(() => v.at('1:'))).toBe('ERR_MEMVIEW_RELEASED')
    expect(codeOf(() => v.tolist())).toBe('ERR_MEMVIEW_RELEASED')
    s.set(0, 3)
    expect(t[1]).toBe(3)
    let e: unknown
    try { v.get(0) } catch (x) { e = x }
    expect(e).toBeInstanceOf(BufferError)
  })
  it('Symbol.dispose releases', () => {
    const v = view(new Int32Array(2))
    v[Symbol.dispose]()
    expect(codeOf(() => v.get(0))).toBe('ERR_MEMVIEW_RELEASED')
  })
})
