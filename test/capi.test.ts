// The C ABI (native/include/memview.h) from an outside addon's side: test/consumer is built here
// with node-gyp against the installed header (require('memview').include), as a user's project
// would, and loaded next to memview. It walks buffers generically (shape, strides, suboffsets,
// format), writes through them, holds them across calls and threads, and hands its own malloc'd
// memory to JS. Its answers to buffer requests are checked against CPython's (buffers.json) and
// against JS getBuffer().
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, unlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { Worker } from 'node:worker_threads'

import { beforeAll, describe, expect, it } from 'vitest'

import * as memview from '../lib/index'
import {
  BUFFER,
  BufferError,
  CyArray,
  type MemoryView,
  PyBUF,
  RELEASE_BUFFER,
  array,
  diagnostics,
  exports,
  fromPointer,
  getBuffer,
  include,
  view,
} from '../lib/index'
import { dtypeOf } from '../lib/format'
import { native } from '../lib/native'
import { type Granted, bytesOf, codeOf, collectUntil, freshStrides, settle } from './helpers'

const ROOT = join(__dirname, '..')
const CONSUMER_DIR = join(__dirname, 'consumer')
const CONSUMER_NODE = join(CONSUMER_DIR, 'build', 'Release', 'consumer.node')

// ---- building the consumer ---------------------------------------------------------------------------

interface Described {
  len: number
  itemsize: number
  readonly: boolean
  ndim: number
  format: string | null
  shape: number[] | null
  strides: number[] | null
  suboffsets: number[] | null
}

interface Consumer {
  init(memview: unknown): { version: number; size: number }
  importFrom(obj: unknown): true
  importAsV2(obj: unknown): true
  fakeExports(major: number, minor: number): object
  sum(value: unknown, flags?: number): number | bigint
  scale(value: unknown, factor: number, flags?: number): void
  describe(value: unknown, flags: number): Described
  hold(value: unknown, flags?: number): number
  heldSum(slot: number): number | bigint
  heldInfo(slot: number): Described
  release(slot: number, onThread?: boolean): boolean
  makeView(kind: string, n?: number): MemoryView
  frees(): { count: number; mismatches: number }
  peek(i: number): number
  poke(i: number, x: number): void
}

function newestMtime(paths: string[]): number {
  return Math.max(...paths.map((p) => statSync(p).mtimeMs))
}

/**
 * Builds test/consumer as an outside project: `memview` is installed in its node_modules (the
 * symlink `npm install ../..` makes for a file: dependency) and its binding.gyp asks
 * require('memview').include for the header. Rebuilt when a source or the header changed.
 */
function buildConsumer(): void {
  const link = join(CONSUMER_DIR, 'node_modules', 'memview')
  mkdirSync(dirname(link), { recursive: true })
  let linked = false
  try {
    linked = lstatSync(link).isSymbolicLink() && existsSync(join(link, 'package.json'))
  } catch {
    linked = false
  }
  if (!linked) {
    try {
      unlinkSync(link)
    } catch {
      // nothing there
    }
    symlinkSync(relative(dirname(link), ROOT), link, 'dir')
  }
  // require('memview') is the compiled package (dist/); compile it when it predates `include`.
  const probe = (): string =>
    spawnSync(process.execPath, ['-p', "require('memview').include"], { cwd: CONSUMER_DIR, encoding: 'utf8' }).stdout.trim()
  if (probe() !== include) execFileSync('npm', ['run', 'tsc'], { cwd: ROOT, stdio: 'pipe' })
  expect(probe()).toBe(include)

  const src = join(CONSUMER_DIR, 'src')
  const inputs = [join(CONSUMER_DIR, 'binding.gyp'), join(include, 'memview.h'), ...readdirSync(src).map((f) => join(src, f))]
  if (existsSync(CONSUMER_NODE) && statSync(CONSUMER_NODE).mtimeMs > newestMtime(inputs)) return
  const nodedir = process.env.npm_config_nodedir || (existsSync('/usr/include/node/node_api.h') ? '/usr' : '')
  const gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [ROOT] })
  execFileSync(process.execPath, [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], {
    cwd: CONSUMER_DIR,
    env: { ...process.env, ...(nodedir ? { npm_config_nodedir: nodedir } : {}) },
    stdio: 'pipe',
  })
}

let consumer: Consumer

beforeAll(() => {
  buildConsumer()
  consumer = createRequire(__filename)(CONSUMER_NODE) as Consumer
  consumer.init(memview)
}, 180_000)

// ---- helpers --------------------------------------------------------------------------------------------

const F = {
  SIMPLE: 0,
  WRITABLE: 1,
  FORMAT: 4,
  ND: 8,
  STRIDES: 0x18,
  C_CONTIGUOUS: 0x38,
  F_CONTIGUOUS: 0x58,
  ANY_CONTIGUOUS: 0x98,
  INDIRECT: 0x118,
  STRIDED_RO: 0x18,
  CONTIG_RO: 0x08,
  RECORDS_RO: 0x1c,
  FULL: 0x11d,
  FULL_RO: 0x11c,
}

function flat(x: unknown): unknown[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x]
}

/** The sum the consumer should find, from JS's own reading of the view (tolist). */
function jsSum(v: MemoryView): number | bigint {
  const xs = flat(v.tolist())
  if ('fd'.includes(v.format.replace(/^[@=<]/, ''))) return xs.reduce((a: number, b) => a + (b as number), 0)
  return xs.reduce((a: bigint, b) => a + BigInt(b as number | bigint), 0n)
}

/** Error class, code and message of a throwing call (or null). */
function errorOf(fn: () => unknown): { cls: string; code: string | undefined; message: string } | null {
  try {
    fn()
  } catch (e) {
    const err = e as Error & { code?: string }
    return { cls: err.constructor.name, code: err.code, message: err.message }
  }
  return null
}

/** Collects earlier tests' garbage until the consumer's free count is stable; returns it. */
async function quietFrees(): Promise<number> {
  let last = -1
  for (let stable = 0; stable < 3; ) {
    await settle(3)
    const n = consumer.frees().count
    stable = n === last ? stable + 1 : 0
    last = n
  }
  return last
}

async function until(cond: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return true
    await new Promise((r) => setTimeout(r, 5))
  }
  return cond()
}

// ---- the build and the import ---------------------------------------------------------------------

describe('building an addon against memview.h', () => {
  it("require('memview').include is memview.h's directory", () => {
    expect(include).toBe(join(ROOT, 'native', 'include'))
    expect(existsSync(join(include, 'memview.h'))).toBe(true)
    expect(memview.include).toBe(include)
  })

  it('the header compiles alone as C99 and C++11 with -Wall -Wextra -Werror -pedantic', () => {
    const napi = join(ROOT, 'node_modules', 'node-api-headers', 'include')
    const tu = '#include <memview.h>\nconst mv_api *f(napi_env e, napi_value x);\nconst mv_api *f(napi_env e, napi_value x) { return mv_import(e, x); }\n'
    for (const [cc, lang, std] of [
      [process.env.CC || 'cc', 'c', '-std=c99'],
      [process.env.CXX || 'c++', 'c++', '-std=c++11'],
    ]) {
      const r = spawnSync(cc, ['-x', lang, std, '-Wall', '-Wextra', '-Werror', '-pedantic', `-I${include}`, `-I${napi}`, '-fsyntax-only', '-'], { input: tu, encoding: 'utf8' })
      expect(r.stderr, `${cc} ${std}`).toBe('')
      expect(r.status, `${cc} ${std}`).toBe(0)
    }
  })

  it("the consumer imports the table from require('memview') and from the native module", () => {
    const expected = { version: 0x10000, size: 8 + 3 * 8 } // version, size, three functions
    expect(consumer.init(memview)).toEqual(expected)
    expect(consumer.init(native)).toEqual(expected)
    expect(memview._C_API).toBe(native._C_API)
  })
})

describe('mv_import checks the version', () => {
  it('a library of another major version is refused with a clear error', () => {
    expect(errorOf(() => consumer.importFrom(consumer.fakeExports(2, 0)))).toEqual({
      cls: 'Error',
      code: 'ERR_MEMVIEW_VERSION',
      message: 'memview C API version mismatch: header 1.0, library 2.0',
    })
    expect(errorOf(() => consumer.importFrom(consumer.fakeExports(0, 9)))?.message).toBe('memview C API version mismatch: header 1.0, library 0.9')
  })

  it('a header newer than the library (compiled as 2.0) is refused by the real library', () => {
    expect(errorOf(() => consumer.importAsV2(memview))).toEqual({
      cls: 'Error',
      code: 'ERR_MEMVIEW_VERSION',
      message: 'memview C API version mismatch: header 2.0, library 1.0',
    })
  })

  it('a newer minor version of the library is accepted (members are only appended)', () => {
    expect(consumer.importFrom(consumer.fakeExports(1, 7))).toBe(true)
  })

  it('something that is not memview is a TypeError, not a crash', () => {
    for (const bad of [{}, { _C_API: 1 }, { _C_API: {} }, null, 42, 'memview'])
      expect(errorOf(() => consumer.importFrom(bad))).toMatchObject({ cls: 'TypeError', code: 'ERR_MEMVIEW_C_API' })
  })
})

// ---- reading buffers -------------------------------------------------------------------------------

describe('the consumer sums any buffer, walking it generically', () => {
  const iota = <T extends { [i: number]: number | bigint; length: number }>(t: T, f: (i: number) => number | bigint = (i) => i): T => {
    for (let i = 0; i < t.length; i++) t[i] = f(i) as never
    return t
  }
  const rows = (n: number, m: number): Float64Array[] => Array.from({ length: n }, (_, i) => iota(new Float64Array(m), (j) => 10 * i + j))

  const cases: [string, () => MemoryView | unknown, number[]][] = [
    ['int32, direct', () => iota(new Int32Array(100), (i) => i * 3 - 50), [F.FULL_RO, F.RECORDS_RO, F.ND | F.FORMAT, F.C_CONTIGUOUS | F.FORMAT]],
    ['double, direct', () => iota(new Float64Array(50), (i) => i / 4), [F.FULL_RO, F.RECORDS_RO, F.ND | F.FORMAT]],
    ['int8 with negatives', () => iota(new Int8Array(200), (i) => (i % 256) - 128), [F.FULL_RO, F.ND | F.FORMAT]],
    ['uint64 beyond 2^53', () => iota(new BigUint64Array(4), (i) => (1n << 61n) + BigInt(i)), [F.FULL_RO, F.SIMPLE, F.CONTIG_RO]],
    ['int64 negatives', () => iota(new BigInt64Array(6), (i) => -(1n << 40n) * BigInt(i)), [F.FULL_RO]],
    ['uint16', () => iota(new Uint16Array(70), (i) => i * 900), [F.FULL_RO, F.SIMPLE]],
    ['float32', () => iota(new Float32Array(33), (i) => i / 8), [F.FULL_RO]],
    ['raw bytes (ArrayBuffer: format NULL = B)', () => iota(new Uint8Array(300), (i) => i & 255).buffer, [F.FULL_RO, F.SIMPLE]],
    ['Buffer', () => Buffer.from([1, 2, 3, 250]), [F.FULL_RO, F.SIMPLE]],
    ['DataView', () => new DataView(iota(new Uint8Array(16), (i) => i).buffer, 4, 8), [F.FULL_RO, F.SIMPLE]],
    ['SharedArrayBuffer', () => iota(new Int32Array(new SharedArrayBuffer(64)), (i) => i * i), [F.FULL_RO]],
    ['strided 2-D int', () => view('int[:, :]', iota(new Int32Array(24)), { shape: [4, 6] }).at('::2, 1::3'), [F.FULL_RO, F.RECORDS_RO]],
    ['negative strides', () => view('double[:, :]', iota(new Float64Array(30), (i) => i * 1.5), { shape: [5, 6] }).at('::-1, ::-2'), [F.FULL_RO, F.RECORDS_RO]],
    ['reversed 1-D int8', () => view(iota(new Int8Array(9), (i) => i - 4)).at('::-1'), [F.FULL_RO]],
    ['transposed 3-D uint64', () => view('uint64_t[:, :, :]', iota(new BigUint64Array(24), (i) => BigInt(i) << 33n), { shape: [2, 3, 4] }).T, [F.FULL_RO, F.F_CONTIGUOUS, F.STRIDED_RO]],
    ['newaxis (an axis of stride 0)', () => view(iota(new Int32Array(5))).at('None, :'), [F.FULL_RO]],
    ['Fortran CyArray (native memory)', () => {
      const a = array({ shape: [3, 4], format: 'd', mode: 'fortran' })
      for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) a.set(i, j, i * 10 + j)
      return a
    }, [F.FULL_RO, F.F_CONTIGUOUS | F.FORMAT, F.ANY_CONTIGUOUS | F.FORMAT]],
    ['0-d', () => view(new Float64Array([7.25]), { shape: [] }), [F.FULL_RO, F.ND | F.FORMAT]],
    ['empty', () => view(iota(new Int32Array(10))).at('5:5'), [F.FULL_RO, F.SIMPLE]],
    ['indirect: rows of TypedArrays', () => rows(4, 5), [F.FULL_RO]],
    ['indirect, sliced backwards', () => view('double[::view.indirect, ::1]', rows(5, 6)).at('::-2, 1::2'), [F.FULL_RO]],
    ['indirect: a C pointer table with PIL suboffsets', () => {
      // rows of m + 1 doubles whose first is a header the suboffset skips (PIL style)
      const n = 3
      const m = 4
      const data = Array.from({ length: n }, (_, i) => {
        const r = array({ shape: [m + 1], format: 'd' })
        r.set(0, -999)
        for (let j = 0; j < m; j++) r.set(j + 1, i * 100 + j)
        return r
      })
      const table = array({ shape: [n], format: 'Q' })
      data.forEach((r, i) => table.set(i, r.address!))
      const v = fromPointer(table.address!, 'double[::view.indirect, ::1]', { shape: [n, m], suboffsets: [8] })
      ;(v as unknown as { _keep: unknown })._keep = [data, table]
      return v
    }, [F.FULL_RO]],
  ]

  for (const [name, make, flagsList] of cases) {
    it(name, () => {
      const src = make()
      const v = view(src)
      const want = jsSum(v)
      for (const flags of flagsList) {
        const got = consumer.sum(src, flags)
        if (typeof want === 'number') expect(got, `flags ${flags}`).toBeCloseTo(want, 9)
        else expect(got, `flags ${flags}`).toBe(want)
      }
      expect(exports(src)).toBe(0)
      expect(native.capiPins()).toBe(0)
    })
  }

  it('without MV_BUF_FORMAT the format is NULL: unsigned elements of itemsize (PEP 3118)', () => {
    const t = new Int16Array([-1, 2])
    expect(consumer.describe(t, F.ND)).toMatchObject({ format: null, itemsize: 2, len: 4 })
    expect(consumer.sum(t, F.ND)).toBe(65535n + 2n)
    expect(consumer.sum(t, F.ND | F.FORMAT)).toBe(1n)
  })

  it('an exporter is asked with the flags and its RELEASE_BUFFER runs at release_buffer', () => {
    const asked: number[] = []
    let released = 0
    const inner = view(new Int32Array([1, 2, 3, 4]))
    const ex = {
      [BUFFER](flags: number) {
        asked.push(flags)
        return inner
      },
      [RELEASE_BUFFER]() {
        released++
      },
    }
    expect(consumer.sum(ex, F.RECORDS_RO)).toBe(10n)
    expect(asked).toEqual([F.RECORDS_RO])
    expect(released).toBe(1)
    const slot = consumer.hold(ex)
    expect(released).toBe(1)
    expect(exports(ex)).toBe(1)
    consumer.release(slot)
    expect(released).toBe(2)
    expect(exports(ex)).toBe(0)
  })
})

// ---- the same answers as JS getBuffer and as CPython -------------------------------------------------

interface Source {
  id: string
  format: string
  memory: string
  base: { shape: number[]; strides: number[] | null; offset: number }
  ndflags: string[]
  sliced: boolean
  answers: [number, Granted | { error: string; message: string }][]
}

describe('requests are negotiated exactly as JS getBuffer and CPython', () => {
  const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'buffers.json'), 'utf8')) as { requestFlags: number[]; requests: Source[] }

  // CPython leaves shape/strides NULL for 0-d even when asked; memview gives [] (as JS getBuffer).
  const axes = (a: number[] | null, ndim: number, asked: boolean): number[] | null => (a === null && ndim === 0 && asked ? [] : a)

  // PIL sources are hand-made pointer tables in JS (protocol.test.ts); the C ABI, like the
  // kernels, only follows tables memview made, so they are covered by the rows and fromPointer
  // cases above instead.
  const sources = fixture.requests.filter((s) => !s.ndflags.includes('PIL'))

  it('covers the fixture', () => {
    expect(sources.length).toBeGreaterThan(100)
    expect(sources.reduce((n, s) => n + s.answers.length, 0)).toBeGreaterThan(3000)
  })

  for (const s of sources) {
    it(s.id, () => {
      const itemsize = dtypeOf(s.format).itemsize
      const strides = s.base.strides ?? freshStrides(s.base.shape, itemsize, s.ndflags.includes('FORTRAN'))
      let v = view(bytesOf(s.memory), { format: s.format, shape: s.base.shape, strides, offset: s.base.offset, readonly: !s.ndflags.includes('WRITABLE') })
      if (s.sliced) v = v.at('::-2') as MemoryView
      for (const [flags, want] of s.answers) {
        if ('error' in want) {
          expect(errorOf(() => consumer.describe(v, flags)), `flags ${flags}`).toEqual({ cls: 'BufferError', code: 'ERR_MEMVIEW_FLAGS', message: want.message })
        } else {
          const got = consumer.describe(v, flags)
          expect(got, `flags ${flags}`).toEqual({
            len: want.nbytes,
            itemsize: want.itemsize,
            readonly: want.readonly,
            ndim: want.ndim,
            format: want.format,
            shape: axes(want.shape, want.ndim, (flags & F.ND) === F.ND),
            strides: axes(want.strides, want.ndim, (flags & F.STRIDES) === F.STRIDES),
            suboffsets: want.suboffsets,
          })
        }
        expect(exports(v)).toBe(0)
      }
      v.release()
    })
  }

  it('every request flag over every kind of source: the same fields or the same error as getBuffer', () => {
    const sourcesJs: [string, () => unknown][] = [
      ['TypedArray', () => new Int16Array(12)],
      ['2-D view', () => view('int[:, :]', new Int32Array(12), { shape: [3, 4] })],
      ['Fortran', () => view('int[:, :]', new Int32Array(12), { shape: [3, 4] }).T],
      ['strided', () => view(new Float64Array(12)).at('::3')],
      ['const', () => view('const double[:]', new Float64Array(4))],
      ['rows', () => [new Float32Array(3), new Float32Array(3)]],
      ['CyArray', () => array({ shape: [2, 2, 2], format: 'q' })],
      ['ArrayBuffer', () => new ArrayBuffer(10)],
      ['0-d', () => view(new Float64Array(1), { shape: [] })],
      ['empty', () => view(new Float64Array(4)).at('2:2')],
      ['struct format', () => view(new ArrayBuffer(32), { format: 'T{i:a:d:b:}', shape: [2] })],
      ['not a buffer', () => 12],
      ['null', () => null],
    ]
    let compared = 0
    for (const [name, make] of sourcesJs) {
      const src = make()
      for (const flags of [...fixture.requestFlags, -1, 0x7fffffff]) {
        let js: unknown
        const jsErr = errorOf(() => {
          const info = getBuffer(src, flags)
          js = {
            len: info.len,
            itemsize: info.itemsize,
            readonly: info.readonly,
            ndim: info.ndim,
            format: info.format,
            shape: info.shape,
            strides: info.strides,
            suboffsets: info.suboffsets,
          }
          info.release()
        })
        let c: unknown
        const cErr = errorOf(() => {
          c = consumer.describe(src, flags)
        })
        expect(cErr, `${name} flags ${flags}`).toEqual(jsErr)
        if (jsErr === null) expect(c, `${name} flags ${flags}`).toEqual(js)
        compared++
      }
      expect(exports(src)).toBe(0)
    }
    expect(compared).toBe(sourcesJs.length * (fixture.requestFlags.length + 2))
    expect(native.capiPins()).toBe(0)
  })
})

// ---- writing, and what is refused -------------------------------------------------------------------------

describe('writing through a buffer, and refusals', () => {
  // conversion:c-get-buffer (lib/conversions.ts): zero-copy both ways.
  it('a buffer is the view\'s own bytes: C writes reach JS, JS writes reach a held buffer', () => {
    const t = new Float64Array([1, 2, 3])
    consumer.scale(t, 2)
    expect([...t]).toEqual([2, 4, 6])
    const slot = consumer.hold(t)
    t[0] = 100
    expect(consumer.heldSum(slot)).toBe(110)
    consumer.release(slot)
  })

  it('writes land in JS memory through strided, negative-stride and indirect buffers', () => {
    const t = new Int32Array([1, 2, 3, 4, 5, 6])
    consumer.scale(view(t).at('::-2'), 10)
    expect([...t]).toEqual([1, 20, 3, 40, 5, 60])
    const r = [new Float64Array([1, 2]), new Float64Array([3, 4])]
    consumer.scale(view('double[::view.indirect, ::1]', r).at('::-1, 1:'), 0.5)
    expect(r.map((x) => [...x])).toEqual([[1, 1], [3, 2]])
    const a = array({ shape: [2, 3], format: 'B' })
    a.memview.fill(3)
    consumer.scale(a.memview.T, 7)
    expect(flat(a.tolist())).toEqual([21, 21, 21, 21, 21, 21])
  })

  it('a writable buffer over read-only memory is refused (BufferError, CPython text)', () => {
    const want = { cls: 'BufferError', code: 'ERR_MEMVIEW_FLAGS', message: 'memoryview: underlying buffer is not writable' }
    const t = new Int32Array([1, 2, 3])
    const ro = view('const int[:]', t)
    expect(errorOf(() => consumer.scale(ro, 2))).toEqual(want)
    expect(errorOf(() => consumer.sum(ro, F.WRITABLE | F.ND))).toEqual(want)
    expect(errorOf(() => consumer.scale(consumer.makeView('readonly', 4), 2))).toEqual(want)
    const roExporter = { [BUFFER]: () => ({ buf: t, readonly: true }) }
    expect(errorOf(() => consumer.scale(roExporter, 2))).toEqual(want)
    expect([...t]).toEqual([1, 2, 3])
    expect(consumer.sum(ro, F.FULL_RO)).toBe(6n) // reading is fine
    expect(exports(ro)).toBe(0)
    expect(native.capiPins()).toBe(0)
  })

  it('requests the memory cannot meet, and values that are not buffers, fail as in JS', () => {
    const strided = view(new Float64Array(8)).at('::2')
    expect(errorOf(() => consumer.sum(strided, F.C_CONTIGUOUS))).toMatchObject({ cls: 'BufferError', code: 'ERR_MEMVIEW_FLAGS', message: 'memoryview: underlying buffer is not C-contiguous' })
    expect(errorOf(() => consumer.sum([new Int8Array(2)], F.RECORDS_RO))).toMatchObject({ code: 'ERR_MEMVIEW_FLAGS', message: 'memoryview: underlying buffer requires suboffsets' })
    expect(errorOf(() => consumer.sum(5))).toMatchObject({ cls: 'TypeError', code: 'ERR_MEMVIEW_SOURCE' })
    expect(errorOf(() => consumer.sum(undefined))).toMatchObject({ code: 'ERR_MEMVIEW_NONE' })
    const released = view(new Int32Array(3))
    released.release()
    expect(errorOf(() => consumer.sum(released))).toMatchObject({ cls: 'BufferError', code: 'ERR_MEMVIEW_RELEASED' })
    const freed = array({ shape: [3], format: 'i' })
    freed.free()
    expect(codeOf(() => consumer.sum(freed))).toMatch(/ERR_MEMVIEW_(RELEASED|DETACHED)/)
    const t = new Float64Array(4)
    const v = view(t)
    structuredClone(t.buffer, { transfer: [t.buffer] })
    expect(errorOf(() => consumer.sum(v))).toMatchObject({ cls: 'BufferError', code: 'ERR_MEMVIEW_DETACHED' })
    const throwing = {
      [BUFFER]() {
        throw new RangeError('exporter says no')
      },
    }
    expect(errorOf(() => consumer.sum(throwing))).toEqual({ cls: 'RangeError', code: undefined, message: 'exporter says no' })
    expect(errorOf(() => consumer.sum(t, -1))).toMatchObject({ code: 'ERR_MEMVIEW_ARGUMENT' })
    expect(native.capiPins()).toBe(0)
  })

  it('a buffer the consumer cannot interpret is still released', () => {
    const v = view(new ArrayBuffer(16), { format: '>i', shape: [4] })
    expect(codeOf(() => consumer.sum(v))).toBe('ERR_CONSUMER_FORMAT')
    expect(exports(v)).toBe(0)
    v.release()
  })
})

// ---- pins: buffers held across calls ------------------------------------------------------------------------

describe('a held buffer pins its memory and counts an export', () => {
  it('release() of the view throws ERR_MEMVIEW_EXPORTED until the consumer releases', () => {
    const v = view(new Int32Array([5, 6, 7]))
    const slot = consumer.hold(v)
    expect(exports(v)).toBe(1)
    expect(native.capiPins()).toBe(1)
    expect(errorOf(() => v.release())).toEqual({ cls: 'BufferError', code: 'ERR_MEMVIEW_EXPORTED', message: 'memoryview has 1 exported buffer' })
    expect(consumer.heldInfo(slot)).toMatchObject({ ndim: 1, shape: [3], format: 'i', readonly: false })
    expect(consumer.release(slot)).toBe(true) // released twice: the buffer is zeroed, the second a no-op
    expect(exports(v)).toBe(0)
    expect(native.capiPins()).toBe(0)
    v.release()
  })

  it('JS memory: the TypedArray lives while held, even when JS drops it', async () => {
    let collected = false
    const registry = new FinalizationRegistry(() => {
      collected = true
    })
    const slot = (() => {
      const t = new Float64Array(1000).map((_, i) => i)
      registry.register(t, 'the array')
      return consumer.hold(t)
    })()
    await settle(10)
    expect(collected).toBe(false)
    expect(consumer.heldSum(slot)).toBe((999 * 1000) / 2)
    consumer.release(slot)
    expect(await collectUntil(() => collected)).toBe(true)
  })

  it('rows: the rows live while held', async () => {
    let collected = 0
    const registry = new FinalizationRegistry(() => {
      collected++
    })
    const slot = (() => {
      const rows = [new Int32Array([1, 2]), new Int32Array([3, 4]), new Int32Array([5, 6])]
      rows.forEach((r) => registry.register(r, 'row'))
      return consumer.hold(rows)
    })()
    await settle(10)
    expect(collected).toBe(0)
    expect(consumer.heldInfo(slot)).toMatchObject({ shape: [3, 2], strides: [8, 4], suboffsets: [0, -1] })
    expect(consumer.heldSum(slot)).toBe(21n)
    consumer.release(slot)
    expect(await collectUntil(() => collected === 3)).toBe(true)
  })

  it('native memory: CyArray.free() and GC while held do not free it; release does', async () => {
    await settle(10)
    const live = diagnostics.liveOwners()
    const slot = (() => {
      const a = array({ shape: [100], format: 'q' })
      for (let i = 0; i < 100; i++) a.set(i, BigInt(i) * 3n)
      const s = consumer.hold(a)
      a.free() // JS is done with it: its views are detached...
      expect(codeOf(() => a.get(0))).toMatch(/ERR_MEMVIEW_(RELEASED|DETACHED)/)
      return s
    })()
    await settle(10)
    expect(consumer.heldSum(slot)).toBe(3n * 4950n) // ...but the held buffer still reads it
    expect(diagnostics.liveOwners()).toBeGreaterThan(live)
    consumer.release(slot)
    expect(await collectUntil(() => diagnostics.liveOwners() <= live)).toBe(true)
  })

  it("the consumer's own memory: its free function waits for the held buffer", async () => {
    const before = await quietFrees()
    const slot = (() => {
      const v = consumer.makeView('c', 1000)
      return consumer.hold(v)
    })()
    await settle(10)
    expect(consumer.frees().count).toBe(before)
    expect(consumer.heldSum(slot)).toBe((999 * 1000) / 2)
    consumer.release(slot)
    expect(await collectUntil(() => consumer.frees().count === before + 1)).toBe(true)
  })

  it('release_buffer from another thread is queued to the JS thread', async () => {
    const v = view(new Int32Array([1, 2, 3]))
    const slot = consumer.hold(v)
    expect(consumer.release(slot, true)).toBe(true)
    expect(await until(() => exports(v) === 0)).toBe(true)
    expect(native.capiPins()).toBe(0)
    v.release()
  })

  it('get_buffer on a detached ArrayBuffer is ERR_MEMVIEW_DETACHED, never a read', () => {
    const t = new Float64Array(8)
    const v = view(t)
    structuredClone(t.buffer, { transfer: [t.buffer] })
    let code: string | undefined
    try {
      consumer.sum(v)
    } catch (e) {
      code = (e as { code?: string }).code
    }
    expect(code).toBe('ERR_MEMVIEW_DETACHED')
  })

  it('documented limit: JS can still detach a held plain ArrayBuffer (releasing stays safe)', () => {
    const t = new Float64Array(8)
    const slot = consumer.hold(t)
    structuredClone(t.buffer, { transfer: [t.buffer] })
    expect(t.length).toBe(0) // the consumer must not read it now (memview.h says so)
    expect(consumer.release(slot)).toBe(true)
    expect(native.capiPins()).toBe(0)
  })
})

// ---- new_view: C memory handed to JS ---------------------------------------------------------------------

describe('new_view hands the consumer malloc memory to JS', () => {
  // conversion:c-new-view (lib/conversions.ts): zero-copy both ways.
  it('C order: a CyArray-backed view over the very bytes C holds (writes seen both ways)', () => {
    const v = consumer.makeView('c', 6) as MemoryView<number>
    expect([v.shape, v.strides, v.format, v.readonly]).toEqual([[6], [8], 'd', false])
    expect(v.base).toBeInstanceOf(CyArray)
    expect(v.tolist()).toEqual([0, 1, 2, 3, 4, 5])
    v.set(5, 100) // JS writes, C reads its own pointer
    expect(consumer.peek(5)).toBe(100)
    consumer.poke(1, -3.5) // C writes its own pointer, JS reads
    expect(v.get(1)).toBe(-3.5)
    expect(consumer.sum(v)).toBe(0 - 3.5 + 2 + 3 + 4 + 100)
  })

  it('negative and non-unit strides, Fortran order, 0-d and read-only', () => {
    const rev = consumer.makeView('reversed', 5) as MemoryView<number>
    expect([rev.strides, rev.tolist()]).toEqual([[-8], [4, 3, 2, 1, 0]])
    expect(consumer.sum(rev.at('1:'))).toBe(6)
    const st = consumer.makeView('strided', 4) as MemoryView<number>
    expect([st.strides, st.tolist()]).toEqual([[16], [0, 1, 2, 3]])
    const f = consumer.makeView('fortran', 4) as MemoryView<number>
    expect([f.shape, f.strides, f.isFContiguous, (f.base as CyArray).mode]).toEqual([[4, 3], [4, 16], true, 'fortran'])
    expect(f.get(3, 2)).toBe(203)
    const s = consumer.makeView('scalar') as MemoryView<number>
    expect([s.ndim, s.get()]).toEqual([0, 42])
    const ro = consumer.makeView('readonly', 3) as MemoryView<number>
    expect(ro.readonly).toBe(true)
    expect(codeOf(() => ro.set(0, 1))).toBe('ERR_MEMVIEW_READONLY')
    expect(codeOf(() => getBuffer(ro, PyBUF.WRITABLE))).toBe('ERR_MEMVIEW_FLAGS')
    const b = consumer.makeView('borrowed') as MemoryView<number>
    expect(b.tolist()).toEqual([1, 2, 3, 4])
  })

  it('free_fn(data, ctx) runs exactly once per block, after the last view (slices included) is gone', async () => {
    const before = { count: await quietFrees(), mismatches: consumer.frees().mismatches }
    const live = diagnostics.liveOwners()
    let slice: MemoryView<number> | null = (() => {
      const views = ['c', 'reversed', 'strided', 'fortran', 'readonly', 'scalar'].map((k) => consumer.makeView(k, 8))
      return (views[1] as MemoryView<number>).at('2:4') as MemoryView<number> // keeps block 2 alive
    })()
    expect(await collectUntil(() => consumer.frees().count === before.count + 5)).toBe(true)
    await settle(5)
    expect(consumer.frees().count).toBe(before.count + 5)
    expect(slice.tolist()).toEqual([5, 4])
    slice = null
    expect(await collectUntil(() => consumer.frees().count === before.count + 6)).toBe(true)
    await settle(10)
    expect(consumer.frees()).toEqual({ count: before.count + 6, mismatches: 0 })
    expect(await collectUntil(() => diagnostics.liveOwners() <= live)).toBe(true)
  })

  it('CyArray.free() ends the memory early, once', async () => {
    const before = await quietFrees()
    const v = consumer.makeView('c', 4)
    ;(v.base as CyArray).free()
    expect(codeOf(() => v.get(0))).toMatch(/ERR_MEMVIEW_(RELEASED|DETACHED)/)
    expect(await collectUntil(() => consumer.frees().count === before + 1)).toBe(true)
    await settle(5)
    expect(consumer.frees().count).toBe(before + 1)
  })

  it('a bad format or geometry is refused before any view exists, and the memory stays the caller\'s', async () => {
    const before = await quietFrees()
    expect(errorOf(() => consumer.makeView('bad-format'))).toMatchObject({ cls: 'TypeError', code: 'ERR_MEMVIEW_FORMAT' })
    expect(errorOf(() => consumer.makeView('bad-ndim'))).toMatchObject({ cls: 'TypeError', code: 'ERR_MEMVIEW_NDIM' })
    expect(errorOf(() => consumer.makeView('bad-shape'))).toEqual({ cls: 'RangeError', code: 'ERR_MEMVIEW_EXTENT', message: 'Invalid shape in axis 0: -1.' })
    expect(errorOf(() => consumer.makeView('overflow'))).toMatchObject({ cls: 'RangeError', code: 'ERR_MEMVIEW_EXTENT' })
    expect(errorOf(() => consumer.makeView('null-data'))).toMatchObject({ cls: 'TypeError', code: 'ERR_MEMVIEW_ARGUMENT' })
    await settle(5)
    expect(consumer.frees().count).toBe(before) // free_fn never ran: the consumer freed them itself
  })
})

// ---- threads ----------------------------------------------------------------------------------------------

describe('worker threads', () => {
  it('a consumer in a worker uses that thread\'s memview; its views free once, anywhere', async () => {
    const before = await quietFrees()
    const code = `
      const { workerData, parentPort } = require('node:worker_threads')
      const memview = require(workerData.dist)
      const consumer = require(workerData.consumer)
      consumer.init(memview)
      const sum = consumer.sum(new Float64Array([1, 2, 3.5]))
      const v = consumer.makeView('c', 10)
      const strided = consumer.sum(memview.view(new Int32Array([1, 2, 3, 4, 5])).at('::-2'))
      parentPort.postMessage({ sum, strided, shared: v.share() })
    `
    const got = await new Promise<{ sum: number; strided: bigint; shared: unknown }>((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { dist: join(ROOT, 'dist'), consumer: CONSUMER_NODE } })
      w.once('message', resolve)
      w.once('error', reject)
    })
    expect(got.sum).toBe(6.5)
    expect(got.strided).toBe(9n)
    // The worker exited; its block lives on in this thread's view and is freed here, once.
    ;(() => {
      const v = view(got.shared) as MemoryView<number>
      expect(v.get(9)).toBe(9)
      expect(consumer.sum(v)).toBe(45)
    })()
    expect(await collectUntil(() => consumer.frees().count >= before + 1)).toBe(true)
    await settle(5)
    expect(consumer.frees().count).toBe(before + 1)
  })

  it('a buffer still held when its worker exits keeps its memory; releasing it later frees it', async () => {
    const before = await quietFrees()
    const code = `
      const { workerData, parentPort } = require('node:worker_threads')
      const memview = require(workerData.dist)
      const consumer = require(workerData.consumer)
      consumer.init(memview)
      parentPort.postMessage(consumer.hold(consumer.makeView('c', 10)))
    `
    const slot = await new Promise<number>((resolve, reject) => {
      let held = -1
      const w = new Worker(code, { eval: true, workerData: { dist: join(ROOT, 'dist'), consumer: CONSUMER_NODE } })
      w.once('message', (m: number) => (held = m))
      w.once('error', reject)
      w.once('exit', () => resolve(held))
    })
    expect(slot).toBeGreaterThanOrEqual(0)
    await settle(5)
    expect(consumer.frees().count).toBe(before) // the worker's env is gone; the pin holds the memory
    expect(consumer.heldSum(slot)).toBe(45)
    expect(consumer.release(slot)).toBe(true) // from another thread than the pin's, after its env died
    expect(await collectUntil(() => consumer.frees().count === before + 1)).toBe(true)
  })
})

/** Runs code in a child process with memview as `m` and the consumer loaded: "status|signal|stdout|stderr". */
function child(code: string, env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', `
    const m = require(${JSON.stringify(join(ROOT, 'dist'))})
    const consumer = require(${JSON.stringify(CONSUMER_NODE)})
    consumer.init(m)
    ${code}`], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60000 })
  return `${r.status}|${r.signal}|${r.stdout.trim()}|${r.stderr.trim()}`
}

// JS that tampers with memview's objects while C holds or hands over memory: each case ran into
// freed memory once (found in review); each must now survive with the memory intact.
describe('JS interfering with the C ABI (child processes)', () => {
  it('an inherited zeroCopy cannot make a pin forget its owner; free() leaves the pinned memory', () => {
    expect(child(`
      const a = m.array({ shape: [1024], format: 'q' })
      a.memview.asTypedArray().fill(7n)
      Object.prototype.zeroCopy = false
      const slot = consumer.hold(a)
      delete Object.prototype.zeroCopy
      a.free()
      for (let i = 0; i < 20; i++) new BigInt64Array(m.array({ shape: [1024], format: 'q' }).memview.asTypedArray().buffer).fill(-1n)
      console.log(String(consumer.heldSum(slot)))
      consumer.release(slot)`)).toBe('0|null|7168|')
  })

  it('arrays in JS memory (no external buffers): free() leaves memory a pin still reads', () => {
    expect(child(`
      const a = m.array({ shape: [1024], format: 'q' })
      for (let i = 0; i < 1024; i++) a.set(i, 7n)
      const slot = consumer.hold(a)
      a.free()
      gc(); gc()
      console.log(String(consumer.heldSum(slot)), String(m.array({ shape: [4], format: 'd' }).steal())) // JS memory is never the caller's
      consumer.release(slot)`, { MEMVIEW_NO_EXTERNAL: '1' })).toBe('0|null|7168 null|')
  })

  it('new_view whose view cannot be made after JS took a hold: memview keeps the memory, free_fn runs once', () => {
    expect(child(`
      const a = m.array({ shape: [1], format: 'd' })
      a.memview.get(0)
      const sym = Object.getOwnPropertySymbols(a._owner)[0]
      let ticket = null
      Object.defineProperty(Object.prototype, sym, { configurable: true, get() {
        if (ticket === null && typeof this.share === 'function') { ticket = this.share(); throw new Error('hook fails') }
        return undefined } })
      let threw = null
      try { consumer.makeView('c', 4096) } catch (e) { threw = e.message }
      delete Object.prototype[sym]
      const before = consumer.frees().count
      ;(() => {
        const v = m.view({ $memview: 'share/1', kind: 'native', ticket: ticket.id, foreign: ticket.foreign, format: 'd', offset: 0, shape: [4096], strides: [8], readonly: false })
        v.fill(1)
        console.log(threw, m.ops.sum(v))
      })()
      const poll = (n) => { gc(); if (consumer.frees().count === before + 1 || n === 0) console.log('frees', consumer.frees().count - before); else setTimeout(() => poll(n - 1), 20) }
      poll(100)`)).toBe('0|null|hook fails 4096\nfrees 1|')
  })
})

describe('JS interfering with the C ABI, round 3 (child processes)', () => {
  it("new_view's failure path after the new handle's buffer was collected", () => {
    expect(child(`
      const a = m.array({ shape: [1], format: 'd' })
      a.memview.get(0)
      const sym = Object.getOwnPropertySymbols(a._owner)[0]
      let fired = false
      Object.defineProperty(Object.prototype, sym, { configurable: true, get() {
        if (!fired && typeof this.buffer === 'function') {
          fired = true
          this.buffer()
          gc(); gc()
          throw new Error('hook fails')
        }
        return undefined } })
      let threw = null
      try { consumer.makeView('c', 16) } catch (e) { threw = e.message }
      console.log(threw)`)).toBe('0|null|hook fails|')
  })

  it('a pin of a rows table holds the rows, whatever the view claims to keep', () => {
    expect(child(`
      let slot
      ;(() => {
        const rows = [new Float64Array(4096).fill(1), new Float64Array(4096).fill(2)]
        const v = m.view(rows)
        const table = v._m.buffer
        v._m = { checkPointees: null, windowed: false, pinningOwner: null, keep: {}, byteLength: table.byteLength,
                 checkAttached() {}, typedArray: () => new Uint8Array(table) }
        v._base = null
        slot = consumer.hold(v)
      })()
      for (let i = 0; i < 5; i++) { gc(); for (let k = 0; k < 50; k++) new Float64Array(4096).fill(9) }
      console.log(consumer.heldSum(slot))
      consumer.release(slot)`)).toBe('0|null|12288|')
  })

  for (const env of [{}, { MEMVIEW_NO_EXTERNAL: '1' }]) {
    it(`a view made from asTypedArray() works with kernels and pins its owner${env.MEMVIEW_NO_EXTERNAL ? ' (no external buffers)' : ''}`, () => {
      expect(child(`
        const a = m.array({ shape: [1 << 16], format: 'd' })
        a.memview.asTypedArray().fill(1)
        const v = m.view(a.memview.asTypedArray())
        const s = m.ops.sum(v)
        const slot = consumer.hold(v)
        a.free()
        for (let i = 0; i < 20; i++) new Float64Array(1 << 16).fill(3)
        gc()
        console.log(s, consumer.heldSum(slot))
        consumer.release(slot)`, env)).toBe('0|null|65536 65536|')
    })
  }

  it('a rows table over native memory cannot be pinned (its rows are kept by owners a pin cannot hold)', () => {
    expect(child(`
      const a = m.array({ shape: [1000], format: 'd' })
      const ta = a.memview.asTypedArray()
      ta.fill(1)
      const v = m.view([ta, ta])
      let code = null
      try { consumer.hold(v) } catch (e) { code = e.code }
      console.log(code, m.ops.sum(v))`)).toBe('0|null|ERR_MEMVIEW_UNSUPPORTED 2000|')
  })

  it('a pinned rows table holds its rows; a row pointing back at its view does not leak', () => {
    expect(child(`
      let slot
      ;(() => {
        const rows = [new Float64Array(1000).fill(1), new Float64Array(1000).fill(2)]
        slot = consumer.hold(m.view(rows))
      })()
      for (let i = 0; i < 5; i++) { gc(); for (let k = 0; k < 50; k++) new Float64Array(4096).fill(9) }
      const sum = consumer.heldSum(slot)
      consumer.release(slot)
      ;(() => {
        for (let i = 0; i < 20; i++) {
          const ta = m.array({ shape: [1 << 16], format: 'd' }).memview.asTypedArray()
          ta.owner = m.view([ta]) // row -> view -> table: a cycle GC must still collect
        }
      })()
      const poll = (n) => { gc(); if (m.diagnostics.liveOwners() === 0 || n === 0) console.log(sum, m.diagnostics.liveOwners()); else setTimeout(() => poll(n - 1), 20) }
      poll(100)`)).toBe('0|null|3000 0|')
  })

  it('a format that describes more bytes than the itemsize is refused', () => {
    expect(child(`
      const v = m.view(new Uint8Array(8))
      v._dt = Object.assign(Object.create(Object.getPrototypeOf(v._dt)), v._dt, { format: 'd' })
      try { consumer.describe(v, 0x11c); console.log('granted') } catch (e) { console.log(e.code) }`)).toMatch(/^0\|null\|ERR_MEMVIEW_/)
  })
})
