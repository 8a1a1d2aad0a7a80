// Native kernels against a plain JS reference over random views of every element type.
import { describe, expect, it } from 'vitest'

import { type MemoryView, array, ops, view } from '../lib/index'
import { codeOf } from './helpers'

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const INT_RANGES: Record<string, [number, number]> = {
  b: [-128, 127], B: [0, 255], h: [-32768, 32767], H: [0, 65535], i: [-(2 ** 31), 2 ** 31 - 1], I: [0, 2 ** 32 - 1],
  q: [-(2 ** 40), 2 ** 40], Q: [0, 2 ** 41],
}
const FORMATS = ['b', 'B', 'h', 'H', 'i', 'I', 'q', 'Q', 'f', 'd', 'e', '?']

/** A random view (random shape, strides incl. negative, offsets) over a fresh filled buffer. */
function randomView(format: string, r: () => number): MemoryView {
  const ndim = 1 + Math.floor(r() * 3)
  const base = array({ shape: Array.from({ length: ndim }, () => 1 + Math.floor(r() * 6)), format }).memview
  const flat = view(base, { shape: [base.size] })
  for (let k = 0; k < base.size; k++) {
    let x: unknown
    if (format in INT_RANGES) {
      const [lo, hi] = INT_RANGES[format]
      x = Math.floor(lo + r() * (hi - lo))
      if (format === 'q' || format === 'Q') x = BigInt(x as number)
    } else if (format === '?') x = r() < 0.5
    else x = Math.round((r() - 0.5) * 200) / 4
    flat.set(k, x)
  }
  const expr = base.shape.map(() => ['::-1', '1:', '::2', ':', '-2::-1'][Math.floor(r() * 5)]).join(', ')
  const v = base.at(expr) as MemoryView
  return r() < 0.3 ? v.T : v
}

const values = (v: MemoryView): unknown[] => (v.ndim === 0 ? [v.at()] : (v.tolist() as unknown[]).flat(8))
const num = (x: unknown): number => (typeof x === 'boolean' ? Number(x) : Number(x))

describe('reductions equal a JS reference', () => {
  it('sum, min, max, mean over random strided views of every type', () => {
    const r = rng(42)
    let checked = 0
    for (const format of FORMATS) {
      for (let t = 0; t < 25; t++) {
        const v = randomView(format, r)
        const xs = values(v)
        if (xs.length === 0) {
          expect(codeOf(() => ops.min(v))).toBe('ERR_MEMVIEW_EXTENT')
          continue
        }
        if (format === 'q' || format === 'Q') {
          expect(ops.sum(v)).toBe((xs as bigint[]).reduce((a, b) => a + b, 0n))
          expect(ops.max(v)).toBe((xs as bigint[]).reduce((a, b) => (b > a ? b : a)))
        } else {
          const ref = xs.reduce<number>((a, b) => a + num(b), 0)
          const sum = ops.sum(v) as number
          if ('fde'.includes(format)) expect(sum).toBeCloseTo(ref, 6)
          else expect(sum).toBe(ref)
          const mn = ops.min(v)
          const mx = ops.max(v)
          if (format === '?') {
            expect(mn).toBe(xs.every(Boolean))
            expect(mx).toBe(xs.some(Boolean))
          } else {
            expect(mn).toBe(Math.min(...xs.map(num)))
            expect(mx).toBe(Math.max(...xs.map(num)))
          }
          expect(ops.mean(v) as number).toBeCloseTo(ref / xs.length, 6)
        }
        checked++
      }
    }
    expect(checked).toBeGreaterThan(250)
  })

  it('narrow integers accumulate in 64 bits, 64-bit results are bigint', () => {
    const v = view<number>(new Int8Array(1000).fill(127))
    expect(ops.sum(v)).toBe(127000)
    const big = view(new BigInt64Array([2n ** 62n, 2n ** 62n - 1n]))
    expect(ops.sum(big)).toBe(2n ** 63n - 1n)
    const u = view(new Uint32Array(3).fill(4294967295))
    expect(ops.sum(u)).toBe(3 * 4294967295)
  })

  it('NaN propagates through min and max as in NumPy', () => {
    const v = view(new Float64Array([1, NaN, -3]))
    expect(ops.min(v)).toBeNaN()
    expect(ops.max(v)).toBeNaN()
    expect(ops.sum(view(new Float64Array([])))).toBe(0)
    expect(ops.mean(view(new Float64Array([])))).toBeNaN()
  })

  it('along an axis', () => {
    const v = view<number>(Int32Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4] })
    expect(ops.sum(v, { axis: 1 }).tolist()).toEqual([[12, 15, 18, 21], [48, 51, 54, 57]].map((r) => r.map(BigInt)))
    expect(ops.max(v, { axis: -1 }).tolist()).toEqual([[3, 7, 11], [15, 19, 23]])
    expect((ops.mean(v.T, { axis: 0 }) as MemoryView).tolist()).toEqual([[1.5, 13.5], [5.5, 17.5], [9.5, 21.5]])
    expect(codeOf(() => ops.sum(v, { axis: 3 }))).toBe('ERR_MEMVIEW_INDEX')
  })

  it('on indirect views (rows and C pointer tables)', () => {
    const rows = Array.from({ length: 5 }, (_, i) => Float64Array.from({ length: 7 }, (_, j) => i * 10 + j))
    const v = view('double[::view.indirect, ::1]', rows)
    expect(ops.sum(v)).toBe(rows.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0))
    expect(ops.max(v.at('::2, 1:3') as MemoryView)).toBe(42)
  })
})

describe('elementwise', () => {
  it('add, sub, mul, div with views and scalars, broadcasting, out', () => {
    const a = view<number>(Int32Array.from([1, 2, 3, 4, 5, 6]), { shape: [2, 3] })
    const row = view<number>(Int32Array.from([10, 20, 30]))
    expect(ops.add(a, row).tolist()).toEqual([[11, 22, 33], [14, 25, 36]])
    expect(ops.sub(a, 1).tolist()).toEqual([[0, 1, 2], [3, 4, 5]])
    expect(ops.mul(a.T, 2).tolist()).toEqual([[2, 8], [4, 10], [6, 12]])
    expect(ops.div(a, 2).tolist()).toEqual([[0.5, 1, 1.5], [2, 2.5, 3]])
    ops.add(a, a, { out: a })
    expect(a.tolist()).toEqual([[2, 4, 6], [8, 10, 12]])
    expect(codeOf(() => ops.add(a, view(new Int32Array(4))))).toBe('ERR_MEMVIEW_EXTENT')
    expect(codeOf(() => ops.add(a, view(new Float64Array(3))))).toBe('ERR_MEMVIEW_DTYPE')
    expect(codeOf(() => ops.add(a, 1, { out: view(new Int32Array(6), { readonly: true, shape: [2, 3] }) }))).toBe('ERR_MEMVIEW_READONLY')
  })

  it('narrow integers wrap, integer division by zero is 0 in floor mode, never a crash', () => {
    const v = view<number>(Int8Array.from([120, -128]))
    expect(ops.add(v, 10).tolist()).toEqual([-126, -118])
    expect(ops.div(v, 0).tolist()).toEqual([Infinity, -Infinity])
  })

  it('cast converts like NumPy astype', () => {
    const f = view(Float64Array.from([1.9, -1.9, NaN, 300]))
    expect(ops.cast(f, 'i').tolist()).toEqual([1, -1, 0, 300])
    expect(ops.cast(f, 'B').format).toBe('B')
    expect(ops.cast(view(Int32Array.from([0, 2])), '?').tolist()).toEqual([false, true])
  })
})

describe('async kernels', () => {
  it('equal the sync results and keep the loop free', async () => {
    const a = array({ shape: [200, 300], format: 'd' }).memview
    ops.fill(a, 1.5)
    const sab = view<number>(new SharedArrayBuffer(8 * 1000), { format: 'd' })
    sab.fill(2)
    expect(await ops.sumAsync(a)).toBe(ops.sum(a))
    expect(await ops.sumAsync(sab)).toBe(2000)
    expect(await ops.maxAsync(a.T)).toBe(1.5)
    const out = await ops.addAsync(a, 1)
    expect(ops.sum(out)).toBe(2.5 * 60000)
    await ops.fillAsync(a, 3)
    expect(a.get(199, 299)).toBe(3)
    const b = array({ shape: [200, 300], format: 'd' }).memview
    await ops.copyAsync(b, a)
    expect(ops.sum(b)).toBe(180000)
  })

  it('refuse memory that could be detached while they run', async () => {
    await expect(ops.sumAsync(view(new Float64Array(4)))).rejects.toMatchObject({ code: 'ERR_MEMVIEW_UNSUPPORTED' })
    await expect(ops.sumAsync(view([new Float64Array(2)]))).rejects.toMatchObject({ code: 'ERR_MEMVIEW_UNSUPPORTED' })
  })

  it('hold native memory even when it is freed while they run', async () => {
    const arr = array({ shape: [1000, 1000], format: 'd' })
    ops.fill(arr.memview, 1)
    const p = ops.sumAsync(arr.memview)
    arr.free()
    expect(await p).toBe(1e6)
  })
})
