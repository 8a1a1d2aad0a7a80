// The buffer protocol: getBuffer() against CPython's answers (test/fixtures/buffers.json, section
// `requests`), export counting, exporters ([BUFFER] / [RELEASE_BUFFER]) for getBuffer() and view(),
// and read-only memory all the way through.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import {
  BUFFER,
  BufferError,
  BufferInfo,
  MemoryView,
  PyBUF,
  RELEASE_BUFFER,
  addressOf,
  array,
  exports,
  getBuffer,
  view,
} from '../lib/index'
import { dtypeOf } from '../lib/format'
import { Memory, memoryOfBuffer } from '../lib/memory'
import { native } from '../lib/native'
import { type Granted, bytesOf, codeOf, collectUntil, freshStrides } from './helpers'

// ---- the fixture -----------------------------------------------------------------------------------

interface Refused {
  error: 'BufferError'
  message: string
}
interface Source {
  id: string
  kind: 'testbuffer' | 'numpy'
  format: string
  memory: string
  base: { shape: number[]; strides: number[] | null; offset: number }
  ndflags: string[]
  sliced: boolean
  export: Granted & { c: boolean; f: boolean; contiguous: boolean }
  tolist: unknown
  answers: [number, Granted | Refused][]
}

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'buffers.json'), 'utf8')) as {
  flags: Record<string, number>
  requestFlags: number[]
  requests: Source[]
}

/**
 * _testbuffer's ND_PIL layout (Modules/_testbuffer.c init_suboffsets): a table of shape[0] row
 * pointers in front of the data, strides[0] = +-8, suboffsets [suboffset0, -1, ...]. The table
 * holds real addresses of the data buffer, resolved back to it.
 */
function pilView(data: ArrayBuffer, format: string, shape: number[], strides: number[], offset: number, readonly: boolean): MemoryView {
  const dataMem = memoryOfBuffer(data)
  const base = native.addressOf(data)
  let imin = 0
  let suboffset0 = 0
  for (let n = 0; n < shape.length; n++) {
    if (shape[n] === 0) break
    if (strides[n] <= 0) {
      const x = (shape[n] - 1) * strides[n]
      imin += x
      if (n >= 1) suboffset0 -= x
    }
  }
  const start = offset + imin
  const step = Math.abs(strides[0])
  const table = new BigUint64Array(shape[0])
  for (let n = 0; n < shape[0]; n++) table[n] = base + BigInt(start + n * step)
  const mem = new Memory(table.buffer, null, false)
  mem.resolver = (address: bigint) => ({ memory: dataMem, offset: Number(address - base) })
  mem.keep = data
  const back = strides[0] < 0
  return new MemoryView({
    memory: mem,
    dtype: dtypeOf(format),
    offset: back && shape[0] > 0 ? (shape[0] - 1) * 8 : 0,
    shape,
    strides: [back ? -8 : 8, ...strides.slice(1)],
    suboffsets: [suboffset0, ...shape.slice(1).map(() => -1)],
    readonly,
    base: table,
  })
}

/** memview's view of a fixture source. */
function sourceView(s: Source): MemoryView {
  const data = bytesOf(s.memory)
  const readonly = !s.ndflags.includes('WRITABLE')
  const itemsize = dtypeOf(s.format).itemsize
  const { shape, offset } = s.base
  const strides = s.base.strides ?? freshStrides(shape, itemsize, s.ndflags.includes('FORTRAN'))
  let v = s.ndflags.includes('PIL')
    ? pilView(data, s.format, shape, strides, offset, readonly)
    : view(data, { format: s.format, shape, strides, offset, readonly })
  if (s.sliced) v = v.at('::-2') as MemoryView
  return v
}

/** Values as memview reads them, for comparison with Python's tolist(). */
function plain(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(plain)
  if (typeof x === 'bigint') return Number(x)
  return x
}

/**
 * CPython's memoryview leaves shape and strides NULL for a 0-d buffer (nothing to point at), even
 * when they were requested; memview gives [] when requested and null when not.
 */
function axes(v: readonly number[] | null, ndim: number, requested = true): readonly number[] | null {
  return v === null && ndim === 0 && requested ? [] : v
}

function checkAnswer(v: MemoryView, obj: unknown, flags: number, want: Granted | Refused): void {
  const before = exports(v)
  if ('error' in want) {
    let err: unknown
    try {
      getBuffer(obj, flags)
    } catch (e) {
      err = e
    }
    expect(err, `flags ${flags}`).toBeInstanceOf(BufferError)
    expect((err as BufferError).code).toBe('ERR_MEMVIEW_FLAGS')
    expect((err as BufferError).message, `flags ${flags}`).toBe(want.message)
    expect(exports(v)).toBe(before)
    return
  }
  const info = getBuffer(obj, flags)
  const got = {
    ndim: info.ndim,
    shape: info.shape,
    strides: info.strides,
    suboffsets: info.suboffsets,
    format: info.format,
    itemsize: info.itemsize,
    readonly: info.readonly,
    nbytes: info.nbytes,
  }
  const nd = (flags & PyBUF.ND) === PyBUF.ND
  const st = (flags & PyBUF.STRIDES) === PyBUF.STRIDES
  expect(got, `flags ${flags}`).toEqual({ ...want, shape: axes(want.shape, want.ndim, nd), strides: axes(want.strides, want.ndim, st) })
  expect(info.len).toBe(want.nbytes)
  expect(info.buf).toBe(v)
  expect(info.obj).toBe(obj)
  expect(info.flags).toBe(flags)
  expect(exports(v)).toBe(before + 1)
  info.release()
  expect(exports(v)).toBe(before)
}

describe('getBuffer answers every request as CPython does (buffers.json requests)', () => {
  it('the fixture covers every named request flag and both source kinds', () => {
    for (const [name, value] of Object.entries(fixture.flags)) {
      expect(PyBUF[name as keyof typeof PyBUF], name).toBe(value)
      expect(fixture.requestFlags, name).toContain(value)
    }
    const ids = fixture.requests.map((s) => s.id)
    for (const part of ['-ro', '-writable', '-fortran', '-pil', '-sliced', '-s-1', 'np-f-3d', 'np-readonly', 'np-cols', 'np-records', 'np-0d'])
      expect(ids.some((id) => id.includes(part)), part).toBe(true)
    expect(fixture.requests.reduce((n, s) => n + s.answers.length, 0)).toBe(5292)
  })

  for (const s of fixture.requests) {
    it(s.id, () => {
      const v = sourceView(s)
      // The source itself: memview's geometry is CPython's (PIL tables included).
      const e = s.export
      expect(v.shape).toEqual(axes(e.shape, e.ndim))
      expect(v.strides).toEqual(axes(e.strides, e.ndim))
      expect(v.suboffsets).toEqual(e.suboffsets ?? v.shape.map(() => -1))
      expect(v.readonly).toBe(e.readonly)
      expect(v.nbytes).toBe(e.nbytes)
      expect(v.format).toBe(e.format)
      expect([v.isCContiguous, v.isFContiguous]).toEqual([e.c, e.f])
      if (s.tolist !== null) expect(plain(v.tolist())).toEqual(s.tolist)
      for (const [flags, want] of s.answers) checkAnswer(v, v, flags, want)
      // An exporter handing out the same view gets the same answers; RELEASE_BUFFER pairs BUFFER.
      let calls = 0
      let releases = 0
      const ex = {
        [BUFFER](flags: number) {
          calls++
          expect(typeof flags).toBe('number')
          return v
        },
        [RELEASE_BUFFER](x: unknown) {
          expect(x).toBe(v)
          releases++
        },
      }
      for (const [flags, want] of s.answers) checkAnswer(v, ex, flags, want)
      expect(calls).toBe(s.answers.length)
      expect(releases).toBe(calls)
      expect(exports(ex)).toBe(0)
      v.release()
    })
  }
})

// ---- BufferInfo, export counting ---------------------------------------------------------------------

describe('BufferInfo and export counting', () => {
  it('PyBUF has CPython values and BUFFER / RELEASE_BUFFER are registered symbols', () => {
    expect(PyBUF).toMatchObject({ SIMPLE: 0, WRITABLE: 1, FORMAT: 4, ND: 8, STRIDES: 0x18, C_CONTIGUOUS: 0x38, F_CONTIGUOUS: 0x58, ANY_CONTIGUOUS: 0x98, INDIRECT: 0x118 })
    expect(PyBUF.CONTIG).toBe(PyBUF.ND | PyBUF.WRITABLE)
    expect(PyBUF.CONTIG_RO).toBe(PyBUF.ND)
    expect(PyBUF.STRIDED).toBe(PyBUF.STRIDES | PyBUF.WRITABLE)
    expect(PyBUF.STRIDED_RO).toBe(PyBUF.STRIDES)
    expect(PyBUF.RECORDS).toBe(PyBUF.STRIDES | PyBUF.WRITABLE | PyBUF.FORMAT)
    expect(PyBUF.RECORDS_RO).toBe(PyBUF.STRIDES | PyBUF.FORMAT)
    expect(PyBUF.FULL).toBe(PyBUF.INDIRECT | PyBUF.WRITABLE | PyBUF.FORMAT)
    expect(PyBUF.FULL_RO).toBe(PyBUF.INDIRECT | PyBUF.FORMAT)
    expect(Object.isFrozen(PyBUF)).toBe(true)
    expect(BUFFER).toBe(Symbol.for('memview.buffer'))
    expect(RELEASE_BUFFER).toBe(Symbol.for('memview.release_buffer'))
  })

  it('buf is the view itself: zero-copy reads and writes', () => {
    const t = new Int32Array(12)
    const v = view('int[:, ::1]', t, { shape: [3, 4] })
    const info = getBuffer(v, PyBUF.RECORDS)
    expect(info).toBeInstanceOf(BufferInfo)
    expect(info.buf).toBe(v)
    info.buf.set(2, 3, 42)
    expect(t[11]).toBe(42)
    t[0] = -7
    expect(info.buf.get(0, 0)).toBe(-7)
    expect(info.address).toBe(addressOf(v))
    info.release()
    expect(() => info.address).toThrow(BufferError)
  })

  it('defaults to PyBUF.FULL_RO', () => {
    const v = view(new Float64Array(6), { shape: [2, 3] })
    const info = getBuffer(v)
    expect(info.flags).toBe(PyBUF.FULL_RO)
    expect([info.format, info.shape, info.strides, info.suboffsets]).toEqual(['d', [2, 3], [24, 8], null])
    info.release()
  })

  it('release() of an exported view throws CPython\'s text; release() of the buffer is idempotent', () => {
    const v = view(new Uint8Array(8))
    const a = getBuffer(v, PyBUF.SIMPLE)
    expect(exports(v)).toBe(1)
    expect(() => v.release()).toThrow(new BufferError('memoryview has 1 exported buffer', 'ERR_MEMVIEW_EXPORTED'))
    expect(codeOf(() => v.release())).toBe('ERR_MEMVIEW_EXPORTED')
    const b = getBuffer(v, PyBUF.ND)
    expect(() => v.release()).toThrow('memoryview has 2 exported buffers')
    expect(() => v[Symbol.dispose]()).toThrow('memoryview has 2 exported buffers')
    a.release()
    a.release()
    expect(a.released).toBe(true)
    expect(exports(v)).toBe(1)
    b[Symbol.dispose]()
    expect(exports(v)).toBe(0)
    v.release()
    expect(codeOf(() => getBuffer(v))).toBe('ERR_MEMVIEW_RELEASED')
  })

  it('slices are separate views: exporting a slice does not pin its parent', () => {
    const v = view(new Int16Array(10))
    const s = v.at('2:8') as MemoryView
    const info = getBuffer(s, PyBUF.CONTIG_RO)
    expect([exports(s), exports(v)]).toEqual([1, 0])
    v.release()
    expect(() => s.release()).toThrow('memoryview has 1 exported buffer')
    info.release()
    s.release()
  })

  it('accepts every source kind, counting exports per object', () => {
    const ab = new ArrayBuffer(16)
    const sab = new SharedArrayBuffer(16)
    const f64 = new Float64Array(2)
    const buf = Buffer.alloc(4)
    const dv = new DataView(new ArrayBuffer(12), 4, 8)
    const arr = array({ shape: [2, 3], format: 'h' })
    const rows = [new Float32Array(3), new Float32Array(3)]
    const cases: [unknown, string, number[]][] = [
      [ab, 'B', [16]],
      [sab, 'B', [16]],
      [f64, 'd', [2]],
      [buf, 'B', [4]],
      [dv, 'B', [8]],
      [arr, 'h', [2, 3]],
      [rows, 'f', [2, 3]],
    ]
    for (const [src, format, shape] of cases) {
      const info = getBuffer(src, PyBUF.FULL_RO)
      expect([info.format, info.shape]).toEqual([format, shape])
      expect(info.obj).toBe(src)
      expect(exports(src)).toBe(1)
      info.release()
      expect(exports(src)).toBe(0)
    }
    // Rows are indirect: refused without INDIRECT, suboffsets with it.
    expect(() => getBuffer(rows, PyBUF.RECORDS_RO)).toThrow('memoryview: underlying buffer requires suboffsets')
    const r = getBuffer(rows, PyBUF.FULL_RO)
    expect([r.strides, r.suboffsets]).toEqual([[8, 4], [0, -1]])
    r.buf.set(1, 2, 2.5)
    expect(rows[1][2]).toBe(2.5)
    r.release()
    // A CyArray exports its view: that view cannot be released meanwhile.
    const ai = getBuffer(arr, PyBUF.C_CONTIGUOUS)
    expect(ai.buf).toBe(arr.memview)
    expect(exports(arr)).toBe(1)
    expect(() => arr.memview.release()).toThrow('memoryview has 1 exported buffer')
    ai.release()
    expect(exports(arr)).toBe(0)
    expect(arr[BUFFER]()).toBe(arr.memview)
    const v = view(f64)
    expect(v[BUFFER]()).toBe(v)
  })

  it('refuses what is not a buffer, and bad flags', () => {
    expect(codeOf(() => getBuffer({}))).toBe('ERR_MEMVIEW_SOURCE')
    expect(codeOf(() => getBuffer(42))).toBe('ERR_MEMVIEW_SOURCE')
    expect(codeOf(() => getBuffer(null))).toBe('ERR_MEMVIEW_NONE')
    const v = view(new Uint8Array(4))
    for (const bad of [-1, 1.5, '4', null, 2 ** 31, NaN]) {
      expect(codeOf(() => getBuffer(v, bad as number)), String(bad)).toBe('ERR_MEMVIEW_ARGUMENT')
    }
    expect(() => getBuffer(v, -1)).toThrow(TypeError)
    expect(exports(v)).toBe(0)
    expect(exports(42)).toBe(0)
    expect(exports(null)).toBe(0)
  })

  it('a BufferInfo collected unreleased ends its export (backstop)', async () => {
    const v = view(new Uint8Array(4))
    ;(() => {
      getBuffer(v, PyBUF.SIMPLE)
    })()
    expect(exports(v)).toBe(1)
    expect(await collectUntil(() => exports(v) === 0)).toBe(true)
    v.release()
  })

  it('is not constructible by hand', () => {
    const v = view(new Uint8Array(4))
    const Ctor = BufferInfo as unknown as new (...a: unknown[]) => BufferInfo
    expect(codeOf(() => new Ctor(Symbol('x'), v))).toBe('ERR_MEMVIEW_ARGUMENT')
  })
})

// ---- exporters ------------------------------------------------------------------------------------

/** An exporter over a Float64Array, recording the protocol calls. */
function makeExporter(opts: { readonly?: boolean; give?: (flags: number) => unknown } = {}) {
  const data = new Float64Array([0, 1, 2, 3, 4, 5])
  const inner = view(data, { shape: [2, 3], readonly: opts.readonly })
  const log: string[] = []
  const given: unknown[] = []
  const ex = {
    data,
    inner,
    log,
    [BUFFER](flags: number): unknown {
      log.push(`buffer ${flags}`)
      const r = opts.give ? opts.give(flags) : inner
      given.push(r)
      return r
    },
    [RELEASE_BUFFER](x: unknown): void {
      log.push('release')
      const k = given.indexOf(x)
      if (k < 0) throw new Error('RELEASE_BUFFER got something BUFFER did not return')
      given.splice(k, 1)
    },
  }
  return ex
}

describe('exporters and getBuffer()', () => {
  it('passes the caller\'s flags, pairs RELEASE_BUFFER with BUFFER, counts on the exporter', () => {
    const ex = makeExporter()
    const info = getBuffer(ex, PyBUF.RECORDS)
    expect(ex.log).toEqual([`buffer ${PyBUF.RECORDS}`])
    expect(info.obj).toBe(ex)
    expect(info.buf).toBe(ex.inner)
    expect([exports(ex), exports(ex.inner)]).toEqual([1, 1])
    expect(() => ex.inner.release()).toThrow('memoryview has 1 exported buffer')
    info.release()
    info.release()
    expect(ex.log).toEqual([`buffer ${PyBUF.RECORDS}`, 'release'])
    expect([exports(ex), exports(ex.inner)]).toEqual([0, 0])
  })

  it('negotiates again over what the exporter returned, and releases a refused buffer', () => {
    const ex = makeExporter({ readonly: true })
    expect(() => getBuffer(ex, PyBUF.CONTIG)).toThrow(new BufferError('memoryview: underlying buffer is not writable', 'ERR_MEMVIEW_FLAGS'))
    expect(ex.log).toEqual([`buffer ${PyBUF.CONTIG}`, 'release'])
    // An exporter that ignores the flags still cannot hand out a Fortran buffer as C.
    const f = makeExporter({ give: () => view(new Int8Array(6), { shape: [2, 3], strides: [1, 2] }) })
    expect(() => getBuffer(f, PyBUF.C_CONTIGUOUS)).toThrow('memoryview: underlying buffer is not C-contiguous')
    expect(f.log).toEqual([`buffer ${PyBUF.C_CONTIGUOUS}`, 'release'])
    expect(exports(f)).toBe(0)
  })

  it('an exporter may refuse by throwing; its error propagates and nothing is counted', () => {
    const ex = {
      [BUFFER](flags: number): MemoryView {
        throw new BufferError(`no ${flags}`, 'ERR_MEMVIEW_FLAGS')
      },
      [RELEASE_BUFFER]() {
        throw new Error('must not be called')
      },
    }
    expect(() => getBuffer(ex, PyBUF.WRITABLE)).toThrow('no 1')
    expect(exports(ex)).toBe(0)
  })

  it('what BUFFER may return: a view, a CyArray, a BufferInfo (re-export), bytes, a description', () => {
    const arr = array({ shape: [4], format: 'i' })
    const cy = makeExporter({ give: () => arr })
    const ci = getBuffer(cy)
    expect(ci.buf).toBe(arr.memview)
    ci.release()
    expect(cy.log).toEqual(['buffer 284', 'release'])

    // Re-export: BUFFER returns getBuffer(inner, flags), RELEASE_BUFFER releases it.
    const inner = view(new Uint16Array(6), { shape: [3, 2] })
    const re = {
      [BUFFER]: (flags: number) => getBuffer(inner, flags),
      [RELEASE_BUFFER]: (x: BufferInfo) => x.release(),
    }
    const info = getBuffer(re, PyBUF.STRIDED_RO)
    expect(info.buf).toBe(inner)
    expect(exports(inner)).toBe(2)
    info.release()
    expect(exports(inner)).toBe(0)

    const bytes = makeExporter({ give: () => new Uint8Array(5) })
    const bi = getBuffer(bytes)
    expect(bi.shape).toEqual([5])
    bi.release()

    // A description of memory the exporter owns: offset is the byte position of element [0, 0].
    const ab = new ArrayBuffer(64)
    new DataView(ab).setInt32(40, -5, true)
    const desc = makeExporter({ give: () => ({ buf: ab, format: 'i', shape: [2, 3], strides: [-24, 4], offset: 32, readonly: true }) })
    const d = getBuffer(desc, PyBUF.FULL_RO)
    expect([d.format, d.shape, d.strides, d.readonly]).toEqual(['i', [2, 3], [-24, 4], true])
    expect(d.buf.get(0, 2)).toBe(-5)
    expect(() => getBuffer(desc, PyBUF.SIMPLE)).toThrow('memoryview: underlying buffer is not C-contiguous')
    d.release()
    const sized = makeExporter({ give: () => ({ buf: new ArrayBuffer(16), itemsize: 4 }) })
    const si = getBuffer(sized)
    expect([si.format, si.shape]).toEqual(['I', [4]])
    si.release()
    const wrong = makeExporter({ give: () => ({ buf: new ArrayBuffer(16), format: 'i', itemsize: 8 }) })
    expect(codeOf(() => getBuffer(wrong))).toBe('ERR_MEMVIEW_DTYPE')
    expect(wrong.log).toEqual(['buffer 284', 'release'])
    const outside = makeExporter({ give: () => ({ buf: new ArrayBuffer(16), format: 'd', shape: [3] }) })
    expect(codeOf(() => getBuffer(outside))).toBe('ERR_MEMVIEW_EXTENT')
    const indirect = makeExporter({ give: () => ({ buf: new ArrayBuffer(16), suboffsets: [0] }) })
    expect(codeOf(() => getBuffer(indirect))).toBe('ERR_MEMVIEW_SOURCE')

    const junk = makeExporter({ give: () => 42 })
    expect(() => getBuffer(junk)).toThrow("[memview.BUFFER] returned number; it must return a MemoryView or a BufferInfo")
    expect(junk.log).toEqual(['buffer 284', 'release'])
  })
})

describe('exporters and view()', () => {
  it('requests PyBUF.FULL_RO and releases when the view is released', () => {
    const ex = makeExporter()
    const v = view('double[:, ::1]', ex)
    expect(ex.log).toEqual([`buffer ${PyBUF.FULL_RO}`])
    expect(v.base).toBe(ex)
    expect(exports(ex)).toBe(1)
    expect(exports(ex.inner)).toBe(1)
    expect(() => ex.inner.release()).toThrow('memoryview has 1 exported buffer')
    v.set(1, 2, 9)
    expect(ex.data[5]).toBe(9)
    const s = v.at('1, :') as MemoryView
    s.release() // a slice does not end the export
    expect(ex.log).toHaveLength(1)
    v.release()
    v.release()
    expect(ex.log).toEqual([`buffer ${PyBUF.FULL_RO}`, 'release'])
    expect([exports(ex), exports(ex.inner)]).toEqual([0, 0])
    ex.inner.release()
  })

  it('Symbol.dispose releases too, and a view with exported buffers keeps its hold', () => {
    const ex = makeExporter()
    const v = view(ex)
    const info = getBuffer(v)
    expect(() => v[Symbol.dispose]()).toThrow('memoryview has 1 exported buffer')
    expect(ex.log).toHaveLength(1)
    info.release()
    v[Symbol.dispose]()
    expect(ex.log).toEqual([`buffer ${PyBUF.FULL_RO}`, 'release'])
  })

  it('releases at once when the declaration does not fit', () => {
    const ex = makeExporter()
    expect(() => view('double[:]', ex)).toThrow('Buffer has wrong number of dimensions (expected 1, got 2)')
    expect(() => view('int[:, :]', ex)).toThrow("Buffer dtype mismatch, expected 'int' but got 'double'")
    expect(ex.log).toEqual([`buffer ${PyBUF.FULL_RO}`, 'release', `buffer ${PyBUF.FULL_RO}`, 'release'])
    expect(exports(ex)).toBe(0)
  })

  it('read-only flows from the exporter: const declarations only', () => {
    const ex = makeExporter({ readonly: true })
    expect(() => view('double[:, :]', ex)).toThrow(TypeError)
    expect(codeOf(() => view('double[:, :]', ex))).toBe('ERR_MEMVIEW_READONLY')
    const v = view('const double[:, :]', ex)
    expect(v.readonly).toBe(true)
    expect(codeOf(() => v.set(0, 0, 1))).toBe('ERR_MEMVIEW_READONLY')
    v.release()
    expect(exports(ex)).toBe(0)
    expect(ex.log.filter((l) => l === 'release')).toHaveLength(3)
  })

  it('declaration slices and reinterpretation keep the hold on the returned view', () => {
    const ex = makeExporter()
    const v = view('double[1:, ::2]', ex)
    expect(v.shape).toEqual([1, 2])
    v.release()
    const w = view(ex, { format: 'B' })
    expect(w.shape).toEqual([48])
    w.release()
    expect(ex.log).toEqual([`buffer ${PyBUF.FULL_RO}`, 'release', `buffer ${PyBUF.FULL_RO}`, 'release'])
  })

  it('a view of an exporter collected unreleased releases (backstop)', async () => {
    const ex = makeExporter()
    ;(() => {
      view(ex)
    })()
    expect(exports(ex)).toBe(1)
    expect(await collectUntil(() => exports(ex) === 0)).toBe(true)
    expect(ex.log).toEqual([`buffer ${PyBUF.FULL_RO}`, 'release'])
  })

  it('views and arrays are not acquired through BUFFER by view() (no export on view(v))', () => {
    const v = view(new Int32Array(4))
    const w = view(v)
    expect(exports(v)).toBe(0)
    v.release()
    expect(w.get(0)).toBe(0)
  })
})

// ---- read-only all the way ---------------------------------------------------------------------------

describe('read-only memory', () => {
  const writes: [string, (v: MemoryView) => unknown][] = [
    ['set', (v) => v.set(0, 0, 1)],
    ['fill', (v) => v.fill(1)],
    ['assign', (v) => v.assign(0)],
    ['assign view', (v) => v.assign(v.copy())],
  ]

  function check(v: MemoryView): void {
    expect(v.readonly).toBe(true)
    for (const [name, w] of writes) {
      let err: unknown
      try {
        w(v)
      } catch (e) {
        err = e
      }
      expect(err, name).toBeInstanceOf(TypeError)
      expect((err as { code: string }).code, name).toBe('ERR_MEMVIEW_READONLY')
      expect((err as Error).message, name).toBe('Cannot assign to read-only memoryview')
    }
  }

  it('refuses writes through read-only views, their slices, transposes and casts', () => {
    const t = new Int32Array([1, 2, 3, 4, 5, 6])
    const ro = view(t, { shape: [2, 3], readonly: true })
    check(ro)
    check(ro.at('::-1, 1:') as MemoryView)
    check(ro.T)
    check(view(ro.cast('B', [24]).cast('i', [2, 3])))
    check(view('const int[:, :]', t, { shape: [2, 3] }))
    check(view('const int[:, ::1]', ro))
    expect(Array.from(t)).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('copies are writable', () => {
    const ro = view(new Int32Array([1, 2, 3, 4]), { shape: [2, 2], readonly: true })
    const c = ro.copy()
    expect(c.readonly).toBe(false)
    c.set(0, 0, 10)
    expect(c.get(0, 0)).toBe(10)
    expect(ro.get(0, 0)).toBe(1)
    expect(ro.copyFortran().readonly).toBe(false)
  })

  it('a writable declaration over read-only memory is refused; getBuffer(WRITABLE) too', () => {
    const ro = view(new Float32Array(3), { readonly: true })
    expect(() => view('float[:]', ro)).toThrow('Cannot create writable memory view from read-only memoryview')
    expect(() => getBuffer(ro, PyBUF.WRITABLE)).toThrow(new BufferError('memoryview: underlying buffer is not writable', 'ERR_MEMVIEW_FLAGS'))
    for (const f of [PyBUF.CONTIG, PyBUF.STRIDED, PyBUF.RECORDS, PyBUF.FULL]) expect(codeOf(() => getBuffer(ro, f))).toBe('ERR_MEMVIEW_FLAGS')
    const info = getBuffer(ro, PyBUF.FULL_RO)
    expect(info.readonly).toBe(true)
    info.release()
    // A writable view of the same memory is writable: read-only is a property of the view.
    const rw = getBuffer(view(new Float32Array(3)), PyBUF.FULL)
    expect(rw.readonly).toBe(false)
    rw.release()
  })
})
