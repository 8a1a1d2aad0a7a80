// Adversarial tests through the public API: whatever a JS caller does with the safe surface
// (everything but fromPointer, addressOf and array({ allocate: false })), memview answers with a
// coded error (code ERR_MEMVIEW_*) or the right values; it never reads or writes outside the
// memory a view was made over, and never crashes the process.
//
// The oracle for "outside": sources are windows [64, 96) of a 256-byte buffer whose other bytes
// are the sentinel 0xEE, which no byte inside the window ever holds. A view that reads a sentinel
// escaped its source; a write that changes one escaped too.
//
// Tests of known bugs that CRASH the process run their repro in a child process and are only
// registered with MEMVIEW_KNOWN_BUGS=1 (see the end of this file). Tests of known bugs that do not
// crash are ordinary tests: they fail until the bug is fixed (the reply to the issue lists them).
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { CyArray, ELLIPSIS, MemoryView, NEWAXIS, array, getBuffer, ops, slice, view } from '../lib/index'
import { native } from '../lib/native'

// ---- helpers -------------------------------------------------------------------------------------

const SENTINEL = 0xee
const WIN = 64 // window start
const WLEN = 32 // window length

/** A 256-byte buffer of sentinels with a window [64, 96) holding 0..31. */
function windowed(ab: ArrayBuffer | SharedArrayBuffer = new ArrayBuffer(256)): { parent: Uint8Array; win: Uint8Array } {
  const parent = new Uint8Array(ab)
  parent.fill(SENTINEL)
  for (let i = 0; i < WLEN; i++) parent[WIN + i] = i
  return { parent, win: parent.subarray(WIN, WIN + WLEN) }
}

/** The code of what fn throws (undefined when it does not throw; 'uncoded: ...' for an uncoded error). */
function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (e) {
    const code = (e as { code?: unknown }).code
    return typeof code === 'string' && code.startsWith('ERR_MEMVIEW_') ? code : `uncoded: ${(e as Error)?.name}: ${(e as Error)?.message}`
  }
  return undefined
}

/** fn either returns or throws a coded memview error; returns the code or undefined. */
function codedOrOk(fn: () => unknown): string | undefined {
  const c = codeOf(fn)
  expect(c === undefined || c.startsWith('ERR_MEMVIEW_'), `expected a coded error or success, got ${c}`).toBe(true)
  return c
}

function expectCode(fn: () => unknown, code?: string | RegExp): void {
  const c = codeOf(fn)
  expect(c, 'expected a coded ERR_MEMVIEW_ error').toMatch(/^ERR_MEMVIEW_/)
  if (code !== undefined) expect(c).toMatch(code)
}

/** Every index tuple of a shape, in C order. */
function* indices(shape: readonly number[]): Generator<number[]> {
  if (shape.some((n) => n === 0)) return
  const idx = shape.map(() => 0)
  for (;;) {
    yield idx.slice()
    let d = shape.length - 1
    for (; d >= 0; d--) {
      if (++idx[d] < shape[d]) break
      idx[d] = 0
    }
    if (d < 0) return
  }
}

/** Reads every element of a 'B' view by every read path; none may be a sentinel. */
function expectConfined(v: MemoryView, parent: Uint8Array): void {
  const before = Uint8Array.from(parent)
  const size = v.shape.reduce((a, b) => a * b, 1)
  if (size <= 4096) {
    for (const idx of indices(v.shape)) {
      const x = v.get(...(idx as [number]))
      expect(x, `element ${idx} read outside the source`).not.toBe(SENTINEL)
    }
    for (const b of v.tobytes()) expect(b).not.toBe(SENTINEL)
    const flat = JSON.stringify(v.tolist())
    expect(flat.includes(String(SENTINEL))).toBe(false)
    // Writes stay inside too (fill and assign go native when the kernels are built).
    if (!v.readonly) {
      v.fill(1)
      for (let i = 0; i < parent.length; i++) if (i < WIN || i >= WIN + WLEN) expect(parent[i], `byte ${i} written`).toBe(before[i])
      parent.set(before)
    }
  }
}

// =================================================================================================
// 1. opts that would escape the source
// =================================================================================================

describe('opts.shape / strides / offset cannot escape the source', () => {
  type Src = () => { src: unknown; parent: Uint8Array }
  const sources: [string, Src][] = [
    ['TypedArray window', () => { const w = windowed(); return { src: w.win, parent: w.parent } }],
    ['DataView window', () => { const w = windowed(); return { src: new DataView(w.parent.buffer, WIN, WLEN), parent: w.parent } }],
    ['view of a window', () => { const w = windowed(); return { src: view(w.parent).at(`${WIN}:${WIN + WLEN}`), parent: w.parent } }],
    ['SharedArrayBuffer window', () => { const w = windowed(new SharedArrayBuffer(256)); return { src: w.win, parent: w.parent } }],
    ['resizable ArrayBuffer window', () => { const w = windowed(new ArrayBuffer(256, { maxByteLength: 512 })); return { src: w.win, parent: w.parent } }],
  ]
  // [opts, accepted?]
  const cases: [string, Record<string, unknown>, boolean][] = [
    ['exact fit', { shape: [32] }, true],
    ['one past the end', { shape: [33] }, false],
    ['last byte by offset', { shape: [1], offset: 31 }, true],
    ['offset one past the last byte', { shape: [1], offset: 32 }, false],
    ['offset past the end, default shape', { offset: 33 }, false],
    ['reverse stride from the end', { shape: [32], strides: [-1], offset: 31 }, true],
    ['reverse stride one below 0', { shape: [32], strides: [-1], offset: 30 }, false],
    ['negative stride from 0', { shape: [2], strides: [-1] }, false],
    ['2-D exact', { shape: [4, 8], strides: [8, 1] }, true],
    ['2-D one row too many', { shape: [5, 8], strides: [8, 1] }, false],
    ['2-D negative outer stride escaping', { shape: [4, 8], strides: [-8, 1], offset: 16 }, false],
    ['2-D negative outer stride fitting', { shape: [4, 8], strides: [-8, 1], offset: 24 }, true],
    ['huge stride, two elements', { shape: [2], strides: [2 ** 52] }, false],
    ['huge negative stride', { shape: [2], strides: [-(2 ** 52)], offset: 31 }, false],
    ['huge stride, one element', { shape: [1], strides: [2 ** 53 - 1] }, true],
    ['MAX_SAFE shape, stride 1', { shape: [2 ** 53 - 1], strides: [1] }, false],
    ['shape x stride beyond 2^53', { shape: [2 ** 27, 2 ** 27], strides: [2 ** 27, 1] }, false],
    ['shape x stride beyond 2^64', { shape: [2 ** 40, 2 ** 40], strides: [2 ** 40, 2 ** 12] }, false],
    ['positive and negative spans cancelling', { shape: [2, 2], strides: [2 ** 52, -(2 ** 52)] }, false],
    ['stride 0 broadcast of 2^53-1', { shape: [2 ** 53 - 1], strides: [0] }, true],
    ['shape NaN', { shape: [NaN] }, false],
    ['shape Infinity', { shape: [Infinity] }, false],
    ['shape -1', { shape: [-1] }, false],
    ['shape 1.5', { shape: [1.5], strides: [2] }, false],
    ['shape "4"', { shape: ['4'] }, false],
    ['shape 4n', { shape: [4n] }, false],
    ['shape null entry', { shape: [null] }, false],
    ['shape with a hole', { shape: [2, , 2] }, false], // eslint-disable-line no-sparse-arrays
    ['shape not an array', { shape: '32' }, false],
    ['shape array-like', { shape: { length: 1, 0: 32 } }, false],
    ['shape TypedArray', { shape: new Int32Array([32]) }, false],
    ['shape of 65 ones', { shape: new Array(65).fill(1) }, false],
    ['shape -0', { shape: [-0] }, true],
    ['strides NaN', { shape: [2], strides: [NaN] }, false],
    ['strides 0.5', { shape: [3], strides: [0.5] }, false],
    ['strides -Infinity', { shape: [2], strides: [-Infinity] }, false],
    ['strides too short', { shape: [2, 2], strides: [1] }, false],
    ['strides with a hole', { shape: [2, 2], strides: [2, , ] }, false], // eslint-disable-line no-sparse-arrays
    ['strides -0', { shape: [4], strides: [-0] }, true],
    ['offset NaN', { shape: [1], offset: NaN }, false],
    ['offset -1', { shape: [1], offset: -1 }, false],
    ['offset 1.5', { shape: [1], offset: 1.5 }, false],
    ['offset "1"', { shape: [1], offset: '1' }, false],
    ['offset 1n', { shape: [1], offset: 1n }, false],
    ['offset -0', { shape: [1], offset: -0 }, true],
  ]
  for (const [sname, make] of sources) {
    for (const [cname, opts, ok] of cases) {
      it(`${sname}: ${cname}`, () => {
        const { src, parent } = make()
        let v: MemoryView | null = null
        const c = codedOrOk(() => (v = view(src, { format: 'B', ...opts })))
        if (ok) expect(c).toBeUndefined()
        else expect(c).toMatch(/^ERR_MEMVIEW_/)
        if (v !== null) expectConfined(v, parent)
      })
    }
  }

  it('an empty shape does not carry an offset outside the source', () => {
    // NumPy and CPython keep the pointer of an empty view inside its buffer; so does indexing.ts.
    const { win } = windowed()
    expectCode(() => view(win, { shape: [0], offset: 10 ** 15 }), 'ERR_MEMVIEW_EXTENT')
  })

  it('CyArray memory: every off-by-one at both ends is refused, exact fits are not', () => {
    const a = array({ shape: [32], format: 'B' })
    expect(codeOf(() => view(a, { shape: [32] }))).toBeUndefined()
    expectCode(() => view(a, { shape: [33] }), 'ERR_MEMVIEW_EXTENT')
    expectCode(() => view(a, { shape: [1], offset: 32 }), 'ERR_MEMVIEW_EXTENT')
    expectCode(() => view(a, { shape: [32], strides: [-1], offset: 30 }), 'ERR_MEMVIEW_EXTENT')
    expect(view(a, { shape: [32], strides: [-1], offset: 31 }).get(0)).toBe(0)
  })
})

// =================================================================================================
// 2. TOCTOU: opts whose answers change between reads
// =================================================================================================

describe('opts arrays that change between validation and use', () => {
  it('a getter that swaps opts.shape after it was checked cannot smuggle a fractional extent', () => {
    // shape 1 + 2^-10 with stride 2^10 spans 1 byte by the check's arithmetic, but index 1 is 1024
    // bytes away. The check must run on the values the view is built from.
    const { parent, win } = windowed(new ArrayBuffer(4096))
    let reads = 0
    const opts = {
      format: 'B',
      strides: [1024],
      get shape() {
        reads++
        return reads <= 4 ? [2] : [1 + 1 / 1024]
      },
    }
    let v: MemoryView | null = null
    codedOrOk(() => (v = view(win, opts)))
    if (v !== null) {
      const got = codeOf(() => (v as MemoryView).get(1))
      // Either refused, or the view reads an element inside the window.
      if (got === undefined) expect((v as MemoryView).get(1)).not.toBe(SENTINEL)
      expect(Number.isInteger((v as MemoryView).shape[0])).toBe(true)
    }
    expect(parent.length).toBe(4096)
  })

  it('an array whose slice() (Symbol.species) returns other values cannot change validated strides', () => {
    const { parent, win } = windowed()
    let n = 0
    const strides = [1]
    ;(strides as unknown as { constructor: unknown }).constructor = {
      [Symbol.species]: function () {
        return new Proxy([1], { get: (t, k, r) => (k === '0' ? (++n <= 1 ? 1 : 16) : Reflect.get(t, k, r)) })
      },
    }
    let v: MemoryView | null = null
    codedOrOk(() => (v = view(win, { format: 'B', shape: [4], strides })))
    if (v !== null) {
      expect((v as MemoryView).strides).toEqual([1])
      expectConfined(v, parent)
    }
  })

  it('Proxy shape arrays whose elements change on every read', () => {
    const { parent, win } = windowed()
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -3, max: 64 }), { minLength: 1, maxLength: 12 }), (answers) => {
        let k = 0
        const shape = new Proxy([4], { get: (t, key, r) => (key === '0' ? answers[k++ % answers.length] : Reflect.get(t, key, r)) })
        let v: MemoryView | null = null
        codedOrOk(() => (v = view(win, { format: 'B', shape })))
        if (v !== null) expectConfined(v, parent)
      }),
      { numRuns: 200 },
    )
  })

  it('getters that throw inside opts surface as errors, not as half-built views', () => {
    const { win } = windowed()
    const boom = new Error('boom')
    const shape = [4]
    Object.defineProperty(shape, 0, { get: () => { throw boom } })
    expect(() => view(win, { format: 'B', shape })).toThrow()
    const opts = { get offset(): number { throw boom } }
    expect(() => view(win, opts)).toThrow()
  })
})

// =================================================================================================
// 3. geometry is frozen
// =================================================================================================

describe("a view's geometry cannot be changed", () => {
  const make = () => {
    const { parent, win } = windowed()
    return { parent, v: view(win, { format: 'B', shape: [4, 8] }) as MemoryView<number> }
  }

  it('shape, strides and suboffsets arrays are frozen', () => {
    const { v } = make()
    for (const arr of [v.shape, v.strides, v.suboffsets]) {
      expect(Object.isFrozen(arr)).toBe(true)
      expect(() => ((arr as number[])[0] = 100)).toThrow(TypeError)
      expect(() => (arr as number[]).push(1)).toThrow(TypeError)
      expect(() => ((arr as number[]).length = 0)).toThrow(TypeError)
    }
    expect(v.get(3, 7)).toBe(31)
    const a = array({ shape: [2, 3], format: 'i' })
    for (const arr of [a.shape, a.strides, a.suboffsets]) expect(Object.isFrozen(arr)).toBe(true)
  })

  for (const [field, value] of [
    ['shape', [1 << 20, 8]],
    ['strides', [-1024, 1]],
    ['suboffsets', [0, -1]],
    ['ndim', 1],
    ['itemsize', 1000],
    ['size', 1 << 30],
    ['readonly', false],
    ['format', 'd'],
    ['nbytes', 4096],
  ] as [string, unknown][]) {
    it(`assigning v.${field} throws or is ignored, and the view still reads its own memory`, () => {
      const { parent, v } = make()
      const ro = field === 'readonly' ? (view('const unsigned char[:, :]', v) as MemoryView<number>) : v
      try {
        ;(ro as unknown as Record<string, unknown>)[field] = value
      } catch (e) {
        expect(e).toBeInstanceOf(TypeError)
      }
      if (field === 'readonly') {
        expectCode(() => ro.set(0, 0, 5), 'ERR_MEMVIEW_READONLY')
        expectCode(() => ro.fill(5), 'ERR_MEMVIEW_READONLY')
        return
      }
      expect(v.get(3, 7)).toBe(31)
      expect(codedOrOk(() => v.at('1:, ::2'))).toBeUndefined()
      expectConfined(v.at('...') as MemoryView, parent)
      expectConfined(v, parent)
    })
  }
})

// =================================================================================================
// 4. forged objects pretending to be views
// =================================================================================================

describe('forged views', () => {
  it('Object.create(MemoryView.prototype) is refused with a coded error everywhere', () => {
    const fake = Object.create(MemoryView.prototype) as MemoryView
    const real = view(new Int32Array(4))
    for (const [name, fn] of [
      ['view()', () => view(fake)],
      ['view(decl)', () => view('int[:]', fake)],
      ['assign()', () => real.assign(fake)],
      ['copy()', () => fake.copy()],
      ['get()', () => fake.get(0)],
      ['tolist()', () => fake.tolist()],
      ['getBuffer()', () => getBuffer(fake)],
      ['ops.sum()', () => ops.sum(fake)],
      ['ops.add()', () => ops.add(real, fake)],
    ] as [string, () => unknown][]) {
      const c = codeOf(fn)
      expect(c, name).toMatch(/^ERR_MEMVIEW_/)
    }
  })

  it('Object.create(CyArray.prototype) is refused with a coded error', () => {
    const fake = Object.create(CyArray.prototype) as CyArray
    expectCode(() => view(fake))
    expectCode(() => fake.tolist())
  })

  // A forged view lies about its internals (or a real view's internals are overwritten): JS
  // access is bounds checked by V8 and native kernels re-validate every descriptor, so nothing
  // may read or write outside the memory, and nothing may crash.
  function liar(over: Record<string, unknown>): { fake: MemoryView; buf: Uint8Array } {
    // The lie is told about a whole 32-byte ArrayBuffer holding 0..31 (a forger holding a view's
    // internals holds its whole buffer anyway): nothing may come from outside that buffer.
    const buf = Uint8Array.from({ length: 32 }, (_, i) => i)
    const real = view(buf, { format: 'B' })
    const fake = Object.create(MemoryView.prototype)
    for (const k of Object.getOwnPropertyNames(real)) Object.defineProperty(fake, k, Object.getOwnPropertyDescriptor(real, k)!)
    for (const [k, v] of Object.entries(over)) Object.defineProperty(fake, k, { value: v, writable: true, configurable: true, enumerable: true })
    return { fake, buf }
  }
  const geo = (shape: number[], strides: number[], subs = shape.map(() => -1)) => ({
    shape: Object.freeze(shape), _shape: Object.freeze(shape), strides: Object.freeze(strides), _strides: Object.freeze(strides),
    suboffsets: Object.freeze(subs), _subs: Object.freeze(subs), ndim: shape.length, _s0: shape[0], _e0: strides[0],
  })
  const lies: [string, Record<string, unknown>][] = [
    ['offset far past the buffer', { _off: 1 << 20, _eo: 1 << 20 }],
    ['negative offset', { _off: -64, _eo: -64 }],
    ['shape larger than the memory', { ...geo([1 << 20], [1]), size: 1 << 20, nbytes: 1 << 20 }],
    ['huge stride', geo([32], [2 ** 40])],
    ['negative stride below 0', geo([32], [-1])],
    ['INT64_MIN-like stride', geo([32], [-(2 ** 63)])],
    ['65 dimensions', geo(new Array(65).fill(1), new Array(65).fill(1))],
    ['a pointer axis over plain bytes', { ...geo([4], [8], [0]), _indirect: true, _ta: null }],
    ['itemsize 0', { itemsize: 0 }],
    ['itemsize huge', { itemsize: 2 ** 26 }], // (2^40 would make V8 calloc 1 TiB: ASan aborts on that)
    ['fractional offset', { _off: 0.5, _ta: null }],
    ['a TypedArray fast path over other memory', { _ta: new Uint8Array(4), _s0: 1 << 20 }],
  ]
  /** Numbers a path returned as data (element values, bytes); views and sums are not data. */
  const dataOf = (out: unknown): number[] =>
    out instanceof Uint8Array ? Array.from(out) : Array.isArray(out) ? (out.flat(Infinity) as unknown[]).filter((x): x is number => typeof x === 'number') : typeof out === 'number' ? [out] : []
  const pathsOf = (fake: MemoryView): [string, () => unknown][] => {
    const real = view(new Uint8Array(32))
    return [
      ['get', () => fake.get(0)],
      ['get last', () => fake.get(-1)],
      ['at', () => fake.at(0)],
      ['at slice', () => (fake.at('::-1') as MemoryView).tolist()],
      ['tolist', () => fake.tolist()],
      ['tobytes', () => fake.tobytes()],
      ['copy', () => fake.copy().tolist()],
      ['view', () => view(fake).tolist()],
      ['view opts', () => view(fake, { shape: [1] }).tolist()],
      ['assign into real', () => (real.assign(fake), real.tolist())],
      ['assign into fake', () => fake.assign(real)],
      ['fill', () => fake.fill(1)],
      ['ops.sum', () => ops.sum(fake)],
      ['ops.add', () => (ops.add(fake, fake) as MemoryView).tolist()],
      ['getBuffer', () => getBuffer(fake).buf.tolist()],
    ]
  }
  for (const [name, over] of lies) {
    it(`a view lying about its ${name}: no path reads outside its buffer, none crashes`, () => {
      const { fake } = liar(over)
      for (const [pname, fn] of pathsOf(fake)) {
        let out: unknown
        try {
          out = fn()
        } catch {
          continue // coded or not (see the next test): refusing is safe
        }
        if (pname === 'ops.sum') continue
        for (const x of dataOf(out)) expect(x >= 0 && x <= 31, `${pname} returned ${x}, not a byte of the buffer`).toBe(true)
      }
    })
  }

  it('views lying about their internals are refused with coded errors, not V8 TypeErrors/RangeErrors', () => {
    const uncoded: string[] = []
    for (const [name, over] of lies) {
      const { fake } = liar(over)
      for (const [pname, fn] of pathsOf(fake)) {
        const c = codeOf(fn)
        if (c !== undefined && !c.startsWith('ERR_MEMVIEW_')) uncoded.push(`${name} / ${pname}: ${c}`)
      }
    }
    expect(uncoded).toEqual([])
  })
})

// =================================================================================================
// 5. detached and shrunk buffers under views
// =================================================================================================

type Kill = (ab: ArrayBuffer) => void
const detach: Kill = (ab) => void structuredClone(ab, { transfer: [ab] })

function everyPath(v: MemoryView, nd: number): [string, () => unknown][] {
  const idx = new Array(nd).fill(0)
  return [
    ['get', () => v.get(...(idx as [number]))],
    ['get last', () => v.get(...(idx.map(() => -1) as [number]))],
    ['set', () => (v as MemoryView<number>).set(...(idx as [number]), 1)],
    ['at ints', () => v.at(...idx)],
    ['at ...', () => v.at('...')],
    ['at slice', () => (nd > 0 ? v.at('::-1') : v.at())],
    ['tolist', () => v.tolist()],
    ['tobytes', () => v.tobytes()],
    ['tobytes F', () => v.tobytes('F')],
    ['copy', () => v.copy()],
    ['copyFortran', () => v.copyFortran()],
    ['assign self', () => v.assign(v)],
    ['assign scalar', () => v.assign(2)],
    ['fill', () => v.fill(3 as never)],
    ['asTypedArray', () => v.asTypedArray()],
    ['toTypedArray', () => v.toTypedArray()],
    ['iterate', () => (nd > 0 ? [...v] : v.tolist())],
    ['T', () => v.T.tolist()],
    ['view()', () => view(v)],
    ['view(decl)', () => (nd === 0 ? view(v, {}) : view(`double[${new Array(nd).fill(':').join(', ')}]`, v))],
    ['cast', () => v.cast('B')],
    ['getBuffer', () => getBuffer(v)],
    ['ops.sum', () => ops.sum(v)],
    ['ops.add', () => ops.add(v, 1)],
    ['ops.sum axis', () => (nd > 0 ? ops.sum(v, { axis: 0 }) : ops.sum(v))],
  ]
}

function expectAllDead(v: MemoryView, nd: number, codes: RegExp): void {
  for (const [name, fn] of everyPath(v, nd)) {
    const c = codeOf(fn)
    expect(c, `${name} on ndim ${nd}`).toMatch(codes)
  }
  expect(String(v)).toMatch(/detached|released/)
}

describe('detached buffers: every access path throws ERR_MEMVIEW_DETACHED', () => {
  for (let nd = 0; nd <= 6; nd++) {
    it(`ndim ${nd}, ArrayBuffer transferred away`, () => {
      const ab = new ArrayBuffer(8 * 2 ** nd)
      const v = view(new Float64Array(ab), { shape: new Array(nd).fill(2) })
      const slice = nd > 0 ? (v.at('::-1') as MemoryView) : v
      v.get(...(new Array(nd).fill(1) as [number]))
      detach(ab)
      expectAllDead(v, nd, /^ERR_MEMVIEW_DETACHED$/)
      expectAllDead(slice, nd, /^ERR_MEMVIEW_DETACHED$/)
    })
  }

  it('a view over a resizable buffer that shrank to 0', () => {
    const ab = new ArrayBuffer(64, { maxByteLength: 128 })
    const v = view(new Float64Array(ab, 0, 8), { shape: [2, 4] })
    ab.resize(0)
    expectAllDead(v, 2, /^ERR_MEMVIEW_DETACHED$/)
  })

  for (let nd = 1; nd <= 6; nd++) {
    it(`ndim ${nd}: after a shrink, each element reads its true value or throws, never garbage`, () => {
      const n = 2 ** nd
      const ab = new ArrayBuffer(8 + 8 * n + 8, { maxByteLength: 4096 })
      const f = new Float64Array(ab)
      for (let i = 0; i < f.length; i++) f[i] = 1000 + i
      const shape = new Array(nd).fill(2)
      const v = view(new Float64Array(ab, 8, n), { shape }) as MemoryView<number>
      const lost = 8 + 8 * n - 12 // the last element and a half are gone
      ab.resize(lost)
      let k = 0
      for (const idx of indices(shape)) {
        const byte = 8 + 8 * k++
        let x: number | undefined
        const c = codeOf(() => (x = v.get(...(idx as [number]))))
        if (byte + 8 > lost) expect(c, `element ${idx} is gone`).toBe('ERR_MEMVIEW_DETACHED')
        else if (c === undefined) expect(x).toBe(1000 + byte / 8)
        else expect(c).toBe('ERR_MEMVIEW_DETACHED')
      }
      for (const [name, fn] of everyPath(v, nd)) {
        if (name.startsWith('get') || name === 'set' || name === 'at ints' || name.startsWith('at slice') || name === 'at ...' || name === 'T') continue
        expect(codeOf(fn), name).toBe('ERR_MEMVIEW_DETACHED')
      }
    })
  }

  it('rows of a T** view: a detached or shrunk row is refused by every path that reaches it', () => {
    const grow = new ArrayBuffer(32, { maxByteLength: 64 })
    const rows = [new Float64Array(4), new Float64Array(4), new Float64Array(grow)]
    const v = view(rows) as MemoryView<number>
    v.fill(1)
    grow.resize(16)
    for (const fn of [() => v.get(2, 3), () => v.set(2, 3, 1), () => v.tolist(), () => v.copy(), () => v.fill(2), () => ops.sum(v), () => v.tobytes()])
      expect(codeOf(fn)).toBe('ERR_MEMVIEW_DETACHED')
    detach(rows[1].buffer as ArrayBuffer)
    for (const fn of [() => v.get(1, 0), () => v.set(1, 0, 1), () => v.tolist(), () => ops.sum(v)])
      expect(codeOf(fn)).toBe('ERR_MEMVIEW_DETACHED')
  })
})

describe('freed CyArrays and released views', () => {
  for (let nd = 1; nd <= 6; nd++) {
    it(`ndim ${nd}: CyArray.free() then every path on the view, its slices and the array`, () => {
      const a = array({ shape: new Array(nd).fill(2), format: 'd' })
      const v = a.memview
      const s = v.at('...') as MemoryView
      const ta = v.asTypedArray()
      a.free()
      expect(ta.length).toBe(0)
      expectAllDead(v, nd, /^ERR_MEMVIEW_(RELEASED|DETACHED)$/)
      expectAllDead(s, nd, /^ERR_MEMVIEW_(RELEASED|DETACHED)$/)
      expect(codeOf(() => a.get(...(new Array(nd).fill(0) as [number])))).toMatch(/^ERR_MEMVIEW_(RELEASED|DETACHED)$/)
      expect(codeOf(() => view(a))).toMatch(/^ERR_MEMVIEW_(RELEASED|DETACHED)$/)
      expect(codeOf(() => a.memview.share())).toMatch(/^ERR_MEMVIEW_(RELEASED|DETACHED)$/)
      a.free() // idempotent
    })
  }

  for (let nd = 0; nd <= 6; nd++) {
    it(`ndim ${nd}: a released view refuses every path; slices made before keep working`, () => {
      const v = view(new Float64Array(2 ** nd), { shape: new Array(nd).fill(2) })
      const s = v.at('...') as MemoryView
      v.release()
      expectAllDead(v, nd, /^ERR_MEMVIEW_RELEASED$/)
      expect(s.tolist()).toEqual(view(new Float64Array(2 ** nd), { shape: new Array(nd).fill(2) }).tolist())
    })
  }
})

// =================================================================================================
// 6. index arguments of every JS type
// =================================================================================================

describe('index arguments of every JS type', () => {
  const weird: [string, unknown][] = [
    ['-0', -0],
    ['2**32', 2 ** 32],
    ['2**32 + 1', 2 ** 32 + 1],
    ['2**53', 2 ** 53],
    ['-(2**31) - 1', -(2 ** 31) - 1],
    ['-(2**53)', -(2 ** 53)],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['1.5', 1.5],
    ['1n', 1n],
    ['-1n', -1n],
    ['2n**64n', 2n ** 64n],
    ['"1"', '1'],
    ['""', ''],
    ['Symbol()', Symbol('i')],
    ['{ valueOf: () => 1 }', { valueOf: () => 1 }],
    ['{ [Symbol.toPrimitive]: throws }', { [Symbol.toPrimitive]: () => { throw new Error('nope') } }],
    ['null', null],
    ['undefined', undefined],
    ['true', true],
    ['[1]', [1]],
    ['a slice object', slice(1)],
    ['ELLIPSIS', ELLIPSIS],
  ]
  for (let nd = 1; nd <= 5; nd++) {
    for (const [name, x] of weird) {
      it(`ndim ${nd}: ${name} as an index (get, set, at) and as a value (set, fill)`, () => {
        const n = 3 ** nd
        const data = Int32Array.from({ length: n }, (_, i) => i + 1)
        const v = view(data, { shape: new Array(nd).fill(3) }) as MemoryView<number>
        const args = new Array(nd).fill(1)
        args[nd - 1] = x
        const expected = (() => {
          // The integer value the index means, when it is one (bigints are integers too, as in at()).
          let i: number | null = null
          if (typeof x === 'number' && Number.isInteger(x)) i = x
          if (typeof x === 'bigint') i = Number(x)
          if (i === null) return null
          if (i < 0) i += 3
          if (i < 0 || i >= 3) return 'out'
          let off = 0
          for (let d = 0; d < nd - 1; d++) off = off * 3 + 1
          return data[off * 3 + i]
        })()
        let got: unknown
        const userError = name.includes('throws')
        if (userError) {
          // The caller's own exception may propagate (memview need not call into objects at all).
          for (const fn of [() => v.get(...(args as [number])), () => v.set(...(args as [number]), 7), () => v.at(...args)]) {
            const c = codeOf(fn)
            expect(c === undefined || c.startsWith('ERR_MEMVIEW_') || c.includes('nope'), String(c)).toBe(true)
          }
          return
        }
        const c = codedOrOk(() => (got = v.get(...(args as [number]))))
        if (c === undefined) expect(got).toBe(expected)
        else if (expected !== null && expected !== 'out') throw new Error(`get refused the valid index ${name}: ${c}`)
        codedOrOk(() => v.set(...(args as [number]), 7))
        codedOrOk(() => v.at(...args))
        // Values of every type, too.
        codedOrOk(() => v.set(...(new Array(nd).fill(0) as [number]), x as number))
        codedOrOk(() => v.fill(x as number))
      })
    }
  }

  it('a valid index past 2^32 on a broadcast view of 2^33 elements', () => {
    const v = view(new Uint8Array([7]), { shape: [2 ** 33], strides: [0] }) as MemoryView<number>
    expect(v.at(2 ** 32)).toBe(7)
    expect(v.get(2 ** 32)).toBe(7)
    expect(v.get(-1)).toBe(7)
  })

  it('more than 64 dimensions through newaxis is refused, as NumPy does', () => {
    const v = view(new Float64Array(4))
    expectCode(() => v.at(...new Array(65).fill(NEWAXIS)), 'ERR_MEMVIEW_NDIM')
  })
})

// =================================================================================================
// 7. junk formats and declarations
// =================================================================================================

describe('junk formats and declarations', () => {
  const seeds: string[] = (() => {
    const p = path.join(__dirname, 'fixtures', 'formats.json')
    const j = JSON.parse(fs.readFileSync(p, 'utf8')) as { valid: { format: string }[]; invalid: { format: string }[] }
    return [...j.valid.map((c) => c.format), ...j.invalid.map((c) => c.format)]
  })()
  const tokens = ['T{', '}', '(', ')', ',', ':', ':x:', '@', '=', '<', '>', '!', '^', 'x', 'Z', '0', '9', '99999999999999999999', '\u0000', '\uffff', '\ud800', 'é']
  const mutated = fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...tokens)), { maxLength: 6 }))
    .map(([s, edits]) => edits.reduce((acc, [pos, t]) => acc.slice(0, pos % (acc.length + 1)) + t + acc.slice(pos % (acc.length + 1)), s))

  it('formats: parse or throw ERR_MEMVIEW_FORMAT, and a parsed format reads inside its bytes', () => {
    const { parent, win } = windowed()
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 40 }), fc.fullUnicodeString({ maxLength: 20 })), (fmt) => {
        let v: MemoryView | null = null
        const c = codedOrOk(() => (v = view(win, { format: fmt })))
        if (c !== undefined) expect(c).toMatch(/^ERR_MEMVIEW_(FORMAT|EXTENT|DTYPE|UNSUPPORTED)$/)
        if (v !== null && (v as MemoryView).size > 0 && (v as MemoryView).size < 64) {
          codedOrOk(() => (v as MemoryView).tolist())
          for (const b of (v as MemoryView).tobytes()) expect(b).not.toBe(SENTINEL)
        }
        codedOrOk(() => array({ shape: [2], format: fmt }))
      }),
      { numRuns: 1500 },
    )
    expect(parent[0]).toBe(SENTINEL)
  })

  it('pathological formats are refused quickly', () => {
    const cases = ['T{'.repeat(100000) + 'i' + '}'.repeat(100000), '('.repeat(10000), `(${new Array(100).fill(1).join(',')})i`, 'i'.repeat(1 << 16), `${'9'.repeat(1000)}i`, '\u0000', '']
    for (const f of cases) {
      const t0 = Date.now()
      codedOrOk(() => view(new Uint8Array(8), { format: f }))
      expect(Date.now() - t0).toBeLessThan(2000)
    }
  })

  it('declarations: mutated declarations parse or throw a coded error', () => {
    const decls = ['int[:, :, ::1]', 'double[::view.indirect_contiguous, ::1]', 'const float complex[:]', 'int[1:102:2, :]', 'unsigned long long[::1, :]', 'bint[:]']
    const dtok = ['[', ']', ':', '::', '::1', ',', 'view.', 'indirect', 'const ', ' ', '-', '9999999999999999999', '\u0000', 'é', 'None', '...']
    fc.assert(
      fc.property(
        fc.tuple(fc.constantFrom(...decls), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...dtok)), { maxLength: 5 })),
        ([d, edits]) => {
          const decl = edits.reduce((acc, [pos, t]) => acc.slice(0, pos % (acc.length + 1)) + t + acc.slice(pos % (acc.length + 1)), d)
          codedOrOk(() => view(decl, new Float64Array(8), { shape: [2, 2, 2].slice(0, (decl.match(/,/g)?.length ?? 0) + 1) }))
        },
      ),
      { numRuns: 1000 },
    )
    for (const junk of [5, null, {}, Symbol('d'), 'int'.repeat(100000) + '[:]'])
      codedOrOk(() => view(junk as string, new Int32Array(2), {}))
  })
})

// =================================================================================================
// 8. indexing against a reference model (property-based)
// =================================================================================================

type Item = number | { start: number | null; stop: number | null; step: number | null } | 'E' | null
interface G {
  off: number
  shape: number[]
  strides: number[]
}

/** NumPy's basic indexing on byte offsets: an element offset, a view geometry, or an error. */
function model(g: G, items: Item[]): { element: number } | { view: G } | 'error' {
  const nd = g.shape.length
  if (items.filter((x) => x === 'E').length > 1) return 'error'
  const consumed = items.filter((x) => x !== 'E' && x !== null).length
  if (consumed > nd) return 'error'
  const element = items.every((x) => typeof x === 'number') && items.length === nd
  const full = items.includes('E') ? items : [...items, 'E' as const]
  const expanded: Item[] = []
  for (const x of full) if (x === 'E') for (let k = 0; k < nd - consumed; k++) expanded.push({ start: null, stop: null, step: null })
    else expanded.push(x)
  let off = g.off
  const shape: number[] = []
  const strides: number[] = []
  let src = 0
  for (const x of expanded) {
    if (x === null) {
      shape.push(1), strides.push(0)
    } else if (typeof x === 'number') {
      const n = g.shape[src]
      const i = x < 0 ? x + n : x
      if (i < 0 || i >= n) return 'error'
      off += i * g.strides[src++]
    } else if (x !== 'E') {
      const n = g.shape[src]
      const step = x.step ?? 1
      if (step === 0) return 'error'
      const neg = step < 0
      const lower = neg ? -1 : 0
      const upper = neg ? n - 1 : n
      const clamp = (v: number | null, dflt: number) => (v === null ? dflt : v < 0 ? Math.max(v + n, lower) : Math.min(v, upper))
      const start = clamp(x.start, neg ? upper : lower)
      const stop = clamp(x.stop, neg ? lower : upper)
      const len = neg ? (stop < start ? Math.floor((start - stop - 1) / -step) + 1 : 0) : start < stop ? Math.floor((stop - start - 1) / step) + 1 : 0
      if (len > 0) off += start * g.strides[src]
      shape.push(len), strides.push(g.strides[src] * step)
      src++
    }
  }
  return element ? { element: off } : { view: { off, shape, strides } }
}

function itemText(x: Item): string {
  if (x === null) return 'None'
  if (x === 'E') return '...'
  if (typeof x === 'number') return String(x)
  const p = (v: number | null) => (v === null ? '' : String(v))
  return `${p(x.start)}:${p(x.stop)}${x.step === null ? '' : ':' + x.step}`
}

describe('indexing matches a reference model', () => {
  const BYTES = 64
  const data = Uint8Array.from({ length: BYTES }, (_, i) => i)
  const geometry = fc
    .integer({ min: 0, max: 4 })
    .chain((nd) =>
      fc.record({
        off: fc.integer({ min: 0, max: 70 }),
        shape: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: nd, maxLength: nd }),
        strides: fc.array(fc.integer({ min: -9, max: 9 }), { minLength: nd, maxLength: nd }),
      }),
    )
  const bound = fc.oneof(fc.constant(null), fc.integer({ min: -6, max: 6 }), fc.constantFrom(2 ** 53, -(2 ** 53), 2 ** 31))
  const item: fc.Arbitrary<Item> = fc.oneof(
    fc.integer({ min: -5, max: 5 }),
    fc.record({ start: bound, stop: bound, step: fc.oneof(fc.constant(null), fc.integer({ min: -3, max: 3 })) }),
    fc.constant('E' as const),
    fc.constant(null),
  )

  it('view() accepts a geometry exactly when every element lies in the buffer', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        let v: MemoryView | null = null
        const c = codedOrOk(() => (v = view(data, { shape: g.shape, strides: g.strides, offset: g.off })))
        const offs = [...indices(g.shape)].map((idx) => idx.reduce((o, i, d) => o + i * g.strides[d], g.off))
        const inside = offs.every((o) => o >= 0 && o < BYTES)
        if (offs.length > 0) expect(c === undefined, `accepted=${c === undefined} inside=${inside}`).toBe(inside)
        if (v !== null) offs.forEach((o, k) => expect([...indices(g.shape)][k].length === g.shape.length && data[o]).toBe(o))
      }),
      { numRuns: 3000 },
    )
  })

  it('at() (programmatic and string forms) equals the model, or throws a coded error where the model errs', () => {
    fc.assert(
      fc.property(geometry, fc.array(item, { maxLength: 6 }), (g, items) => {
        let v: MemoryView<number>
        try {
          v = view(data, { shape: g.shape, strides: g.strides, offset: g.off }) as MemoryView<number>
        } catch {
          return // out of bounds geometry: the previous property covers it
        }
        const want = model(g, items)
        const args = items.map((x) => (x === 'E' ? ELLIPSIS : x === null ? NEWAXIS : typeof x === 'number' ? x : slice(x.start, x.stop, x.step)))
        const forms: [string, () => unknown][] = [['programmatic', () => v.at(...args)]]
        if (items.length > 0) forms.push(['string', () => v.at(items.map(itemText).join(', '))])
        for (const [form, fn] of forms) {
          let got: unknown
          const c = codedOrOk(() => (got = fn()))
          if (want === 'error') {
            expect(c, `${form} ${JSON.stringify(items)}`).toMatch(/^ERR_MEMVIEW_/)
            continue
          }
          expect(c, `${form} ${JSON.stringify(items)} on ${JSON.stringify(g)}`).toBeUndefined()
          if ('element' in want) {
            expect(got).toBe(data[want.element])
          } else {
            const r = got as MemoryView<number>
            expect([...r.shape]).toEqual(want.view.shape)
            const expected = [...indices(want.view.shape)].map((idx) => data[idx.reduce((o, i, d) => o + i * want.view.strides[d], want.view.off)])
            const actual = [...indices(r.shape)].map((idx) => r.get(...(idx as [number])))
            expect(actual).toEqual(expected)
            expect(Array.from(r.tobytes())).toEqual(expected)
          }
        }
      }),
      { numRuns: 3000 },
    )
  })
})

// =================================================================================================
// 9. share() descriptors are data: nothing in them can widen what a view may touch
// =================================================================================================

describe('the kernel entry point with junk arguments', () => {
  // native.kernel is reachable (dist/native); every argument is checked before memory is touched.
  const a = array({ shape: [4, 4], format: 'd' })
  const bytes = a.memview._m.typedArray(Uint8Array)
  const owner = a.memview._m.pinningOwner
  const g = (...xs: number[]): Float64Array => new Float64Array(xs)
  const good = g(0, 8, 2, 4, 4, 32, 8, -1, -1)
  const cases: [string, unknown[]][] = [
    ['no arguments', []],
    ['unknown kind', [99, false, 100, 0, 0, 0, undefined, good, bytes, owner]],
    ['kind as a string', ['reduce', false, 100, 0, 0, 0, undefined, good, bytes, owner]],
    ['geometry as an array', [3, false, 100, 0, 0, 0, undefined, [0, 8, 2, 4, 4, 32, 8, -1, -1], bytes, owner]],
    ['geometry as an Int32Array', [3, false, 100, 0, 0, 0, undefined, new Int32Array(9), bytes, owner]],
    ['geometry too short', [3, false, 100, 0, 0, 0, undefined, g(0, 8, 2, 4, 4), bytes, owner]],
    ['empty geometry', [3, false, 100, 0, 0, 0, undefined, g(), bytes, owner]],
    ['NaN extent', [3, false, 100, 0, 0, 0, undefined, g(0, 8, 2, NaN, 4, 32, 8, -1, -1), bytes, owner]],
    ['65 dimensions', [3, false, 100, 0, 0, 0, undefined, g(0, 8, 65, ...new Array(195).fill(1)), bytes, owner]],
    ['fractional stride', [3, false, 100, 0, 0, 0, undefined, g(0, 8, 2, 4, 4, 32.5, 8, -1, -1), bytes, owner]],
    ['extent past the buffer', [3, false, 100, 0, 0, 0, undefined, g(0, 8, 2, 5, 4, 32, 8, -1, -1), bytes, owner]],
    ['huge stride', [3, false, 100, 0, 0, 0, undefined, g(0, 8, 2, 4, 4, 2 ** 52, 8, -1, -1), bytes, owner]],
    ['negative offset', [3, false, 100, 0, 0, 0, undefined, g(-8, 8, 2, 4, 4, 32, 8, -1, -1), bytes, owner]],
    ['itemsize 0', [3, false, 100, 0, 0, 0, undefined, g(0, 0, 2, 4, 4, 32, 8, -1, -1), bytes, owner]],
    ['pointer axis over plain memory', [3, false, 100, 0, 0, 0, undefined, g(0, 8, 2, 4, 4, 32, 8, 0, -1), bytes, owner]],
    ['bytes not a Uint8Array', [3, false, 100, 0, 0, 0, undefined, good, new Float64Array(16), owner]],
    ['bytes over a sub-range', [3, false, 100, 0, 0, 0, undefined, good, bytes.subarray(8), owner]],
    ['no memory at all', [3, false, 100, 0, 0, 0, undefined, good, null, null]],
    ['a foreign owner object', [3, false, 100, 0, 0, 0, undefined, good, bytes, { freed: false }]],
    ['an owner of other memory', [3, false, 100, 0, 0, 0, undefined, good, bytes, array({ shape: [2], format: 'd' }).memview._m.pinningOwner]],
    ['bad element code', [3, false, 1e9, 0, 0, 0, undefined, good, bytes, owner]],
    ['code as a string', [3, false, 'd', 0, 0, 0, undefined, good, bytes, owner]],
    ['op as an object', [3, false, 100, 0, { valueOf: () => 0 }, 0, undefined, good, bytes, owner]],
    ['fill without a value', [0, false, 0, 0, 0, 0, undefined, good, bytes, owner]],
    ['fill value of the wrong size', [0, false, 0, 0, 0, 0, new Uint8Array(3), good, bytes, owner]],
    ['binary with one operand', [5, false, 100, 0, 0, 0, undefined, good, bytes, owner]],
    ['async over a plain ArrayBuffer', [3, true, 100, 0, 0, 0, undefined, good, new Uint8Array(128), null]],
  ]
  for (const [name, args] of cases) {
    it(name, async () => {
      let code: string | undefined
      try {
        const r = (native.kernel as unknown as (...a: unknown[]) => unknown)(...args)
        if (r instanceof Promise) await r
      } catch (e) {
        code = (e as { code?: string }).code
      }
      expect(code, name).toMatch(/^ERR_MEMVIEW_/)
    })
  }

  it('a correct call still works', () => {
    a.memview.fill(1.5)
    expect(native.kernel(3, false, 100, 0, 0, 0, undefined, good, bytes, owner)).toBe(24)
  })

  it('random geometry over real memory returns or throws a coded error, never touches outside (fast-check)', () => {
    // Operands shaped like real ones (small extents, strides of either sign, offsets around the
    // 128-byte block, now and then a junk number) for every kernel kind and element code; under
    // the ASan build (CI) any access outside the block aborts the run.
    const junk = fc.constantFrom(NaN, Infinity, -Infinity, 2 ** 53, 2 ** 62, 0.5)
    const small = (min: number, max: number) => fc.oneof({ weight: 40, arbitrary: fc.integer({ min, max }) }, { weight: 1, arbitrary: junk })
    const SIZE: Record<string, number> = { b: 1, B: 1, '?': 1, h: 2, H: 2, e: 2, i: 4, I: 4, f: 4, l: 8, L: 8, q: 8, Q: 8, n: 8, N: 8, d: 8, F: 8, D: 16 }
    const codes = Object.keys(SIZE)
    const operandArb = (shape: number[], code: string) =>
      fc.tuple(
        small(0, 140),
        fc.oneof({ weight: 9, arbitrary: fc.constant(SIZE[code]) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 4, 8, 16) }),
        fc.oneof({ weight: 4, arbitrary: fc.constant(shape) }, { weight: 1, arbitrary: fc.array(small(0, 5), { maxLength: 3 }) }),
        fc.array(small(-40, 40), { minLength: 3, maxLength: 3 }),
        fc.array(fc.constantFrom(-1, -1, -1, -1, 0), { minLength: 3, maxLength: 3 }),
      ).map(([off, isz, sh, st, so]) => [off, isz, sh.length, ...sh, ...st.slice(0, sh.length), ...so.slice(0, sh.length)])
    const caseArb = fc
      .record({
        kind: fc.integer({ min: 0, max: 5 }),
        code: fc.constantFrom(...codes),
        code2: fc.constantFrom(...codes),
        op: fc.integer({ min: -1, max: 8 }),
        axis: fc.integer({ min: -2, max: 3 }),
        shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
        valueSize: fc.integer({ min: 1, max: 16 }),
      })
      .chain((c) =>
        fc.tuple(operandArb(c.shape, c.code), operandArb(c.shape, c.kind === 2 || c.kind === 4 ? c.code2 : c.code), operandArb(c.shape, c.code))
          .map((ops) => ({ ...c, geometry: new Float64Array(ops.flat()) })),
      )
    let ran = 0
    fc.assert(
      fc.property(caseArb, (c) => {
        try {
          native.kernel(c.kind, false, c.code.charCodeAt(0), c.code2.charCodeAt(0), c.op, c.axis, new Uint8Array(c.kind === 0 ? SIZE[c.code] : c.valueSize), c.geometry, bytes, owner, bytes, owner, bytes, owner)
          ran++
        } catch (e) {
          expect(String((e as { code?: string }).code)).toMatch(/^ERR_MEMVIEW_/)
        }
      }),
      { numRuns: 4000, seed: 11 },
    )
    expect(ran).toBeGreaterThan(400) // the property reached the kernels, not just the checks
  })
})

describe('forged share() descriptors', () => {
  it('the foreign flag is the owner\'s, not the descriptor\'s: alias() stays refused for array() memory', () => {
    const a = array({ shape: [4], format: 'Q' })
    const d = a.memview.share()
    const v = view({ ...d, foreign: true })
    const base = v.base as { alias?: (addr: bigint, n: number) => ArrayBuffer }
    // A harmless address: memview's own array (a successful alias here means any address works).
    const addr = (a as unknown as { address: bigint }).address
    if (typeof base.alias === 'function') expectCode(() => base.alias!(addr, 8), 'ERR_MEMVIEW_UNSUPPORTED')
  })

  it('descriptor geometry is validated like opts: NaN offset, fractional and species arrays', () => {
    for (const lie of [
      { offset: NaN },
      { offset: '0' },
      { offset: 0.5 },
      { shape: [1.5], strides: [2] },
      { shape: [2], strides: [NaN] },
      { shape: [4, 2], strides: [8] },
      { format: 'T{' },
    ]) {
      const a = array({ shape: [4], format: 'd' })
      const d = a.memview.share()
      expect(codeOf(() => view({ ...d, ...lie })), JSON.stringify(lie)).toMatch(/^ERR_MEMVIEW_/)
    }
  })

  it('a ticket works once, and a forged ticket is refused', () => {
    const a = array({ shape: [4], format: 'd' })
    const d = a.memview.share()
    view(d)
    expectCode(() => view(d), 'ERR_MEMVIEW_RELEASED')
    for (const ticket of [0n, 2n ** 63n, -1n, 2n ** 70n, 1.5, 'x', null])
      expect(codeOf(() => view({ ...d, ticket }))).toMatch(/^ERR_MEMVIEW_/)
  })
})

// =================================================================================================
// 10. Crash repros. Each runs in a child process against dist/ (built here when older than lib/),
// so a crash fails its test instead of killing the run. Repros of KNOWN BUGS that still crash are
// only registered with MEMVIEW_KNOWN_BUGS=1 (the reply to the Reliability issue has each fix);
// repros of crashes already fixed are regression tests and always run.
// =================================================================================================

const ROOT = path.join(__dirname, '..')
const DIST = path.join(ROOT, 'dist', 'index.js')

function ensureDist(): void {
  const newest = Math.max(...fs.readdirSync(path.join(ROOT, 'lib')).map((f) => fs.statSync(path.join(ROOT, 'lib', f)).mtimeMs))
  const built = fs.existsSync(DIST) ? fs.statSync(DIST).mtimeMs : 0
  if (built < newest) spawnSync('npm', ['run', 'tsc'], { cwd: ROOT, stdio: 'ignore', shell: process.platform === 'win32' })
}

function runChild(code: string, env: Record<string, string> = {}, flags: string[] = []): { status: number | null; signal: string | null; out: string } {
  ensureDist()
  const r = spawnSync(process.execPath, ['--expose-gc', ...flags, '-e', `const m = require(${JSON.stringify(DIST)});\n${code}`], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60000,
  })
  return { status: r.status, signal: r.signal, out: `${r.stdout}\n${r.stderr}` }
}

const SURVIVE = `.then(() => console.log('survived'), (e) => { if (!String(e && e.code).startsWith('ERR_MEMVIEW_')) throw e; console.log('survived', e.code) })`
const CODED = `catch (e) { if (!String(e && e.code).startsWith('ERR_MEMVIEW_')) throw e }`

const crashRepros: { name: string; known: boolean; env?: Record<string, string>; flags?: string[]; code: string }[] = [
  {
    // CRASH (SIGSEGV). native/addon/kernels_binding.cc ParseJob validates the operands (ReadOperand ->
    // ValidateMemory) and only then reads spec.code / code2 / op / axis / value: absent own
    // properties, so an Object.prototype getter runs JS after validation and shrinks the buffer.
    name: 'an Object.prototype getter shrinks the buffer during ops.sum()',
    known: false, // fixed: now a regression test
    code: `
      const rab = new ArrayBuffer(1 << 20, { maxByteLength: 1 << 24 })
      const v = m.view(new Float64Array(rab)); v.fill(1)
      let armed = true
      Object.defineProperty(Object.prototype, 'code2', { configurable: true, get() { if (armed) { armed = false; rab.resize(0) } } })
      try { m.ops.sum(v) } ${CODED}
      console.log('survived')`,
  },
  {
    name: 'an Object.prototype getter shrinks the buffer during view.fill()',
    known: false, // fixed: now a regression test
    code: `
      const rab = new ArrayBuffer(1 << 20, { maxByteLength: 1 << 24 })
      const v = m.view(new Float64Array(rab))
      let armed = true
      Object.defineProperty(Object.prototype, 'op', { configurable: true, get() { if (armed) { armed = false; rab.resize(0) } } })
      try { v.fill(2) } ${CODED}
      console.log('survived')`,
  },
  {
    // CRASH (SIGSEGV). descriptor.cc OwnerOfMemory -> OwnerHandle::Unwrap -> napi_instanceof runs
    // a JS Symbol.hasInstance of the OwnerHandle class after the earlier operands were validated.
    name: 'Symbol.hasInstance on the owner class shrinks the destination during assign()',
    known: false, // fixed: now a regression test
    code: `
      const rab = new ArrayBuffer(1 << 20, { maxByteLength: 1 << 24 })
      const dst = m.view(new Float64Array(rab))
      const src = m.array({ shape: [1 << 17], format: 'd' })
      let armed = true
      Object.defineProperty(src._owner.constructor, Symbol.hasInstance, { configurable: true, value(x) {
        if (armed && /\\bat run \\(/.test(new Error().stack)) { armed = false; rab.resize(0) }
        return Function.prototype[Symbol.hasInstance].call(this, x) } })
      try { dst.assign(src.memview) } ${CODED}
      console.log('survived')`,
  },
  {
    // CRASH (SIGSEGV). native/addon/memory.cc AdoptShared marks the owner foreign when the JS
    // descriptor says foreign: true, so view(descriptor).base.alias(any address) maps it.
    name: 'a share() descriptor with foreign: true, then base.alias() of an unmapped address',
    known: false, // fixed: now a regression test
    code: `
      const a = m.array({ shape: [4], format: 'Q' })
      const v = m.view({ ...a.memview.share(), foreign: true })
      try { console.log(new Uint8Array(v.base.alias(0x10n, 8))[0]) } ${CODED}
      console.log('survived')`,
  },
  {
    // CRASH (FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw, then with
    // NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: Error::New napi_get_last_error_info). A Node-API
    // call fails while the worker is being terminated and node-addon-api's error path calls
    // napi_fatal_error: the whole process aborts. Safe API only (array(), ops.sum).
    name: 'worker.terminate() while the worker is inside array() / ops.sum()',
    known: false, // fixed: now a regression test
    code: `
      const { Worker } = require('node:worker_threads')
      ;(async () => {
        for (let r = 0; r < 20; r++) {
          const w = new Worker(\`const m = require(${JSON.stringify(DIST)})
            for (;;) { m.ops.sum(m.array({ shape: [16], format: 'd' }).memview) }\`, { eval: true })
          await new Promise((res) => setTimeout(res, 20 + (r % 5) * 10))
          await w.terminate()
        }
        console.log('survived')
      })()`,
  },
  {
    // Fixed (87473e6): async kernels trusted lib/ops.ts to refuse detachable memory.
    name: 'a forged view runs ops.fillAsync over a plain ArrayBuffer that shrinks meanwhile',
    known: false,
    code: `
      const rab = new ArrayBuffer(64 << 20, { maxByteLength: 128 << 20 })
      const real = m.view(new Float64Array(rab))
      const fake = Object.create(real._m)
      const owner = m.array({ shape: [1], format: 'd' })._owner
      Object.defineProperty(fake, 'owner', { value: owner })
      Object.defineProperty(fake, 'pinningOwner', { value: owner })
      const forged = Object.create(m.MemoryView.prototype)
      for (const k of Object.getOwnPropertyNames(real)) Object.defineProperty(forged, k, Object.getOwnPropertyDescriptor(real, k))
      forged._m = fake
      let p
      try { p = m.ops.fillAsync(forged, 3) } ${CODED}
      rab.resize(0)
      Promise.resolve(p)${SURVIVE}`,
  },
  {
    // Fixed (87473e6): without external buffers array() memory is a JS ArrayBuffer the owner only
    // borrows; free() released it under a running async kernel.
    name: 'no external buffers: free() while ops.fillAsync runs on array() memory',
    known: false,
    env: { MEMVIEW_NO_EXTERNAL: '1' },
    code: `
      const a = m.array({ shape: [32 << 20], format: 'd' })
      let p
      try { p = m.ops.fillAsync(a.memview, 1.5) } ${CODED}
      a.free()
      Promise.resolve(p)${SURVIVE}`,
  },
  {
    name: 'no external buffers: a forged owner claim gets array() memory onto the thread pool, then free()',
    known: false,
    env: { MEMVIEW_NO_EXTERNAL: '1' },
    code: `
      const a = m.array({ shape: [32 << 20], format: 'd' })
      const real = a.memview
      let n = 0
      const fake = Object.create(real._m)
      Object.defineProperty(fake, 'pinningOwner', { get() { return n++ === 0 ? {} : real._m.pinningOwner } })
      const forged = Object.create(m.MemoryView.prototype)
      for (const k of Object.getOwnPropertyNames(real)) Object.defineProperty(forged, k, Object.getOwnPropertyDescriptor(real, k))
      forged._m = fake
      let p
      try { p = m.ops.fillAsync(forged, 1.5) } ${CODED}
      a.free()
      Promise.resolve(p)${SURVIVE}`,
  },
  {
    // CRASH (SIGABRT in uv_mutex_lock). native/addon/memory.cc: an owner with a JS free callback
    // queues it on its threadsafe function (queue_js_free). At environment teardown (worker exit,
    // natural process exit) Node closes and deletes those threadsafe functions, then runs the
    // OwnerHandle finalizers, whose release() calls napi_call_threadsafe_function on a deleted one.
    name: 'JS free callbacks still pending when a worker exits',
    known: false, // fixed: now a regression test
    code: `
      const { Worker } = require('node:worker_threads')
      let left = 4
      for (let i = 0; i < 4; i++) {
        const w = new Worker(\`
          const m = require(${JSON.stringify(DIST)})
          const { native } = require(${JSON.stringify(path.join(ROOT, 'dist', 'native.js'))})
          globalThis.keep = []
          for (let i = 0; i < 100; i++) globalThis.keep.push(m.fromPointer(native.testing.malloc(64), 'double[:8]', { free: () => {} }))\`, { eval: true })
        w.on('exit', () => { if (--left === 0) { globalThis.gc(); console.log('survived') } })
      }`,
  },
  {
    name: 'JS free callbacks still pending at natural process exit',
    known: false, // fixed: now a regression test
    code: `
      const { native } = require(${JSON.stringify(path.join(ROOT, 'dist', 'native.js'))})
      globalThis.keep = []
      for (let i = 0; i < 100; i++) globalThis.keep.push(m.fromPointer(native.testing.malloc(64), 'double[:8]', { free: () => {} }))
      console.log('survived') // the exit code (134 when it crashes) is what this checks`,
  },
  {
    name: 'C free callbacks still pending when a worker exits or at process exit',
    known: false,
    code: `
      const { Worker } = require('node:worker_threads')
      const { native } = require(${JSON.stringify(path.join(ROOT, 'dist', 'native.js'))})
      const before = native.testing.freeCount()
      let left = 4
      for (let i = 0; i < 4; i++) {
        const w = new Worker(\`
          const m = require(${JSON.stringify(DIST)})
          const { native } = require(${JSON.stringify(path.join(ROOT, 'dist', 'native.js'))})
          globalThis.keep = []
          for (let i = 0; i < 100; i++) globalThis.keep.push(m.fromPointer(native.testing.malloc(64), 'double[:8]', { free: native.testing.freeAddress() }))\`, { eval: true })
        w.on('exit', () => { if (--left === 0) { console.log(native.testing.freeCount() - before === 400 ? 'survived' : 'missing frees') } })
      }
      globalThis.keep = []
      for (let i = 0; i < 100; i++) globalThis.keep.push(m.fromPointer(native.testing.malloc(64), 'double[:8]', { free: native.testing.freeAddress() }))`,
  },
  {
    // UAF (ASan: fsum_run reading memory freed by Reclaimer::Scan). With ArrayBuffer.prototype.transfer
    // (Node 20 behind a flag, on by default from 21) a collected buffer's memory lives on in the
    // buffer it moved to: owner_handle.cc must not drop such a buffer's reference early.
    name: 'GC-time release with a buffer moved by transfer()',
    known: false, // fixed: now a regression test
    flags: ['--harmony-rab-gsab-transfer'],
    code: `
      const { native } = require(${JSON.stringify(path.join(ROOT, 'dist', 'native.js'))})
      let moved
      ;(() => {
        const a = m.array({ shape: [1 << 17], format: 'd' })
        const ta = a.memview.asTypedArray(); ta.fill(1.5)
        moved = ta.buffer.transfer()
      })()
      gc(); gc(); native.testing.reclaim()
      for (let i = 0; i < 20; i++) new Float64Array(native.allocate(1 << 20, false).buffer()).fill(-2)
      const s = m.ops.sum(m.view(new Float64Array(moved)))
      console.log(s === 1.5 * (1 << 17) ? 'survived' : 'wrong sum ' + s)`,
  },
  {
    name: 'free() after transfer(): the moved buffer keeps the memory',
    known: false, // fixed: now a regression test
    flags: ['--harmony-rab-gsab-transfer'],
    code: `
      const { native } = require(${JSON.stringify(path.join(ROOT, 'dist', 'native.js'))})
      const a = m.array({ shape: [1 << 17], format: 'd' })
      const ta = a.memview.asTypedArray(); ta.fill(2.5)
      const moved = ta.buffer.transfer()
      a.free()
      for (let i = 0; i < 20; i++) new Float64Array(native.allocate(1 << 20, false).buffer()).fill(-2)
      const s = m.ops.sum(m.view(new Float64Array(moved)))
      console.log(s === 2.5 * (1 << 17) ? 'survived' : 'wrong sum ' + s)`,
  },
  {
    // SIGSEGV (null Owner): free() wrote \`released\` with [[Set]], so a setter could re-enter free().
    name: 'a released setter on the handle prototype re-enters free() / steal()',
    known: false, // fixed: now a regression test
    code: `
      const { native } = require(${JSON.stringify(path.join(ROOT, 'dist', 'native.js'))})
      const a = m.array({ shape: [16], format: 'd' })
      const proto = Object.getPrototypeOf(a._owner)
      let calls = 0
      Object.defineProperty(proto, 'released', { configurable: true, set(v) { calls++; this.free(); this.buffer() } })
      Object.defineProperty(proto, 'zeroCopy', { configurable: true, set(v) { calls++; this.free() } })
      a.free()
      const p = native.testing.malloc(1 << 20)
      const b = m.array({ shape: [1 << 17], format: 'd', allocate: false, data: p, free: native.testing.freeAddress() })
      const ptr = b.steal()
      native.adopt(ptr, 8, native.testing.freeAddress()).free()
      console.log(calls === 0 ? 'survived' : 'setter ran ' + calls)`,
  },
  {
    // UAF (ASan: fsum_run on a thread-pool thread): steal() handed the pointer back while an async
    // job still read it.
    name: 'steal() while an async job, a share ticket or a C ABI pin still reads the memory',
    known: false, // fixed: now a regression test
    code: `
      const { native } = require(${JSON.stringify(path.join(ROOT, 'dist', 'native.js'))})
      const N = 1 << 22, p = native.testing.malloc(N * 8)
      const a = m.array({ shape: [N], format: 'd', allocate: false, data: p, free: native.testing.freeAddress() })
      const job = m.ops.sumAsync(a.memview)
      let code = null
      try { a.steal() } catch (e) { code = e.code }
      const p2 = native.testing.malloc(64)
      const b = m.array({ shape: [8], format: 'd', allocate: false, data: p2, free: native.testing.freeAddress() })
      b.memview.share() // a ticket another thread could redeem at any time
      let code2 = null
      try { b.steal() } catch (e) { code2 = e.code }
      job.then(() => {
        const q = a.steal() // the job is done: nothing else reads it now
        native.adopt(q, 8, native.testing.freeAddress()).free()
        console.log(code === 'ERR_MEMVIEW_EXPORTED' && code2 === 'ERR_MEMVIEW_EXPORTED' && q === p ? 'survived' : 'unexpected ' + code + ' ' + code2)
      })`,
  },
  {
    // UAF (ASan: BackingStore freed by the ArrayBufferSweeper): with MEMVIEW_NO_EXTERNAL=1 an array's
    // memory is a JS ArrayBuffer that only the handle's jsBuffer property kept alive, and a setter on
    // the prototype could swallow it.
    name: 'arrays in JS memory: jsBuffer cannot be swallowed, the owner block is not read raw, no sharing',
    known: false, // fixed: now a regression test
    env: { MEMVIEW_NO_EXTERNAL: '1' },
    code: `
      const { native } = require(${JSON.stringify(path.join(ROOT, 'dist', 'native.js'))})
      const proto = Object.getPrototypeOf(m.array({ shape: [1], format: 'd' })._owner)
      Object.defineProperty(proto, 'jsBuffer', { configurable: true, set(v) {}, get() { return undefined } })
      const a = m.array({ shape: [1 << 20], format: 'd' })
      a.memview.fill(1)
      gc(); gc()
      const ok1 = m.ops.sum(a.memview) === (1 << 20) && a.memview.get(5) === 1
      const h = a._owner
      let c1 = null, c2 = null, c3 = null
      try { native.kernel(3, false, 100, 0, 0, 0, undefined, new Float64Array([0, 8, 1, 1 << 20, 8, -1]), null, h) } catch (e) { c1 = e.code }
      try { a.memview.share() } catch (e) { c2 = e.code }
      try { h.buffer() } catch (e) { c3 = e.code }
      console.log(ok1 && c1 === 'ERR_MEMVIEW_EXTENT' && c2 === 'ERR_MEMVIEW_UNSUPPORTED' && c3 === 'ERR_MEMVIEW_UNSUPPORTED' ? 'survived' : 'unexpected ' + [ok1, c1, c2, c3])`,
  },
]

describe('crash repros (child processes)', () => {
  for (const r of crashRepros) {
    if (r.known && !process.env.MEMVIEW_KNOWN_BUGS) continue
    it(`${r.known ? 'KNOWN BUG: ' : ''}${r.name}`, () => {
      const out = runChild(r.code, r.env, r.flags)
      expect(out.signal, out.out).toBeNull()
      expect(out.status, out.out).toBe(0)
      expect(out.out).toContain('survived')
    })
  }
})
