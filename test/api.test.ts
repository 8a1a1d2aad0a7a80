// The view API beyond indexing: the guide's quickstart, display, iteration, copies out, .T rules.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { inspect } from 'node:util'

import { describe, expect, it } from 'vitest'

import { ELLIPSIS, MemoryView, NEWAXIS, array, slice, view } from '../lib/index'
import { codeOf } from './helpers'

const arange = (n: number) => Int32Array.from({ length: n }, (_, i) => i)

describe("the guide's quickstart", () => {
  it('prints the six lines', () => {
    const out = execFileSync(process.execPath, [join(__dirname, '../examples/quickstart.mjs')], { encoding: 'utf8' })
    expect(out).toBe(
      [
        'NumPy sum of the NumPy array before assignments: 351',
        'NumPy sum of NumPy array after assignments: 81',
        'Memoryview sum of NumPy array is 81',
        'Memoryview sum of C array is 451',
        'Memoryview sum of Cython array is 1351',
        'Memoryview sum of C memoryview is 451',
        '',
      ].join('\n'),
    )
  })
})

describe('indexing forms of the guide', () => {
  const v = view<number>('int[:, :, :]', arange(60), { shape: [3, 4, 5] })
  it('my_view[10], [10, :, :] and [10, ...] are equivalent', () => {
    const a = v.at('1') as MemoryView
    const b = v.at('1, :, :') as MemoryView
    const c = v.at('1, ...') as MemoryView
    const d = v.at(1, ELLIPSIS) as MemoryView
    for (const x of [b, c, d]) expect([x.shape, x.strides, x.tolist()]).toEqual([a.shape, a.strides, a.tolist()])
  })
  it('None adds axes; programmatic slices match strings', () => {
    const s = view<number>('double[:]', new Float64Array(50))
    expect((s.at('None') as MemoryView).shape).toEqual([1, 50])
    expect((s.at(':, None') as MemoryView).shape).toEqual([50, 1])
    expect((s.at('None, 10:-20:2, None') as MemoryView).shape).toEqual([1, 10, 1])
    const p = v.at(slice(null, null, -1), NEWAXIS, 2) as MemoryView
    const q = v.at('::-1, None, 2') as MemoryView
    expect([p.shape, p.strides, p.tolist()]).toEqual([q.shape, q.strides, q.tolist()])
  })
  it('errors carry the guide texts', () => {
    expect(() => v.at('1, 9')).toThrow('Index out of bounds (axis 1)')
    expect(() => v.at('::0')).toThrow('Step may not be zero (axis 0)')
    expect(codeOf(() => v.at('1, 2, 3, 4'))).toBe('ERR_MEMVIEW_INDEX')
    expect(codeOf(() => v.at('1:2:3:4'))).toBe('ERR_MEMVIEW_INDEX_SYNTAX')
    expect(codeOf(() => v.at(1.5))).toBe('ERR_MEMVIEW_INDEX_SYNTAX')
  })
})

describe('transpose and contiguity', () => {
  it('.T of a C-contiguous view is F-contiguous', () => {
    const c = view('int[:, ::1]', arange(6), { shape: [2, 3] })
    const f = view('int[::1, :]', c.T)
    expect(f.shape).toEqual([3, 2])
    expect(f.strides).toEqual([4, 12])
    expect(c.transpose(1, 0).strides).toEqual([4, 12])
    expect(codeOf(() => c.transpose(0, 0))).toBe('ERR_MEMVIEW_INDEX')
  })
  it("copies: C and Fortran strides, Cython's vectors", () => {
    const f = array({ shape: [5, 7, 11], itemsize: 1, format: 'B', mode: 'fortran' })
    expect(f.strides).toEqual([1, 5, 35])
    expect(f.memview.copy().strides).toEqual([77, 11, 1])
    const cp = f.memview.copy()
    expect([cp.isCContiguous, cp.isFContiguous]).toEqual([true, false])
    const cf = f.memview.copyFortran()
    expect([cf.isCContiguous, cf.isFContiguous]).toEqual([false, true])
    expect(cp.base).not.toBe(f)
  })
  it('copies are independent of their source', () => {
    const t = arange(6)
    const v = view<number>(t, { shape: [2, 3] })
    const c = v.copy()
    t[0] = 100
    expect(c.get(0, 0)).toBe(0)
    c.set(1, 1, 7)
    expect(t[4]).toBe(4)
  })
})

describe('conversions out', () => {
  const v = view<number>('int[:, :]', arange(6), { shape: [2, 3] })
  it('tobytes in C, F and A order', () => {
    expect([...new Int32Array(new Uint8Array(v.tobytes()).buffer)]).toEqual([0, 1, 2, 3, 4, 5])
    expect([...new Int32Array(new Uint8Array(v.tobytes('F')).buffer)]).toEqual([0, 3, 1, 4, 2, 5])
    expect([...new Int32Array(new Uint8Array(v.T.tobytes('A')).buffer)]).toEqual([0, 1, 2, 3, 4, 5])
    expect(codeOf(() => v.tobytes('X' as 'C'))).toBe('ERR_MEMVIEW_ARGUMENT')
  })
  it('asTypedArray is zero-copy and refuses what it cannot alias', () => {
    const t = arange(6)
    const w = view<number>(t, { shape: [2, 3] })
    const a = w.asTypedArray()
    a[5] = 50
    expect(t[5]).toBe(50)
    expect(codeOf(() => w.T.asTypedArray())).toBe('ERR_MEMVIEW_LAYOUT')
    expect(codeOf(() => view(new ArrayBuffer(4), { format: '?' }).asTypedArray())).toBe('ERR_MEMVIEW_DTYPE')
    const copy = w.T.toTypedArray()
    expect([...copy]).toEqual([0, 3, 1, 4, 2, 50])
    copy[0] = 9
    expect(t[0]).toBe(0)
  })
  it('iterates over axis 0', () => {
    const rows = [...v].map((r) => (r as MemoryView).tolist())
    expect(rows).toEqual([[0, 1, 2], [3, 4, 5]])
    expect([...view(arange(3))]).toEqual([0, 1, 2])
  })
})

describe('display', () => {
  it('shows type, shape and values as NumPy does', () => {
    const v = view('int[:, ::1]', arange(6), { shape: [2, 3] })
    expect(inspect(v)).toBe('<memview int[:, ::1] shape=(2, 3)>\n[[0, 1, 2],\n [3, 4, 5]]')
    expect(String(v.T)).toContain('int[::1, :]')
  })
  it('elides the middle of large views', () => {
    const s = String(view(arange(5000)))
    expect(s).toBe('<memview int[::1] shape=(5000,)>\n[   0,    1,    2, ..., 4997, 4998, 4999]')
    expect(s.length).toBeLessThan(200)
  })
})
