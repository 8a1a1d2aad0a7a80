// const views and typed memoryview arguments, as the Cython guide shows them.
import { describe, expect, it } from 'vitest'

import { type MemoryView, typed, view } from '../lib/index'
import { codeOf } from './helpers'

const arange = (n: number) => Int32Array.from({ length: n }, (_, i) => i)

describe('const views', () => {
  it('accept writable and read-only memory and refuse writes', () => {
    const t = arange(6)
    const c = view('const int[:, ::1]', t, { shape: [2, 3] })
    expect(c.readonly).toBe(true)
    expect(c.get(1, 2)).toBe(5)
    expect(codeOf(() => (c as unknown as MemoryView).set(0, 0, 1))).toBe('ERR_MEMVIEW_READONLY')
    expect(codeOf(() => (c as unknown as MemoryView).fill(1))).toBe('ERR_MEMVIEW_READONLY')
    expect(codeOf(() => (c as unknown as MemoryView).assign(1))).toBe('ERR_MEMVIEW_READONLY')
    const ro = view('int[:, :]', t, { shape: [2, 3], readonly: true })
    expect(view('const int[:, :]', ro).readonly).toBe(true)
    expect(view('const unsigned char[:, ::1]', Buffer.from('abcdef'), { shape: [2, 3] }).get(1, 0)).toBe(100)
  })
  it('a non-const declaration over read-only memory is refused unless the call asks for read-only', () => {
    const ro = view('int[:]', arange(3), { readonly: true })
    expect(codeOf(() => view('int[:]', ro))).toBe('ERR_MEMVIEW_READONLY')
    expect(view('int[:]', ro, { readonly: true }).readonly).toBe(true)
  })
  it('slices keep the flag and copies are writable', () => {
    const c = view('const int[:]', arange(4))
    const s = c.at('::2') as MemoryView<number>
    expect(s.readonly).toBe(true)
    const cp = (c as unknown as MemoryView<number>).copy()
    expect(cp.readonly).toBe(false)
    cp.set(0, 9)
    expect(cp.get(0)).toBe(9)
  })
  it('dtype mismatch names the const type', () => {
    expect(() => view('const short[:]', arange(3))).toThrow("Buffer dtype mismatch, expected 'const short' but got 'int'")
  })
})

describe('typed() arguments', () => {
  const processBuffer = typed(['int[:, :] input not None', 'int[:, :] output = None'], (input, output) => {
    const out = output ?? input.copy()
    for (let i = 0; i < input.shape[0]; i++) for (let j = 0; j < input.shape[1]; j++) out.set(i, j, input.get(i, j) * 2)
    return out
  })

  it('converts each argument by its declaration', () => {
    const src = view<number>(arange(6), { shape: [2, 3] })
    const out = processBuffer(src)
    expect(out.tolist()).toEqual([[0, 2, 4], [6, 8, 10]])
    const dst = view<number>(new Int32Array(6), { shape: [2, 3] })
    const res = processBuffer(src, dst)
    expect(res.base).toBe(dst.base) // a new view over the caller's output memory
    expect(dst.get(1, 2)).toBe(10)
  })

  it("rejects None where 'not None' is declared, with Cython's text", () => {
    expect(() => processBuffer(null)).toThrow("Argument 'input' must not be None")
    expect(codeOf(() => processBuffer(undefined))).toBe('ERR_MEMVIEW_NONE')
  })

  it('conversion errors keep their code and name the argument', () => {
    expect(() => processBuffer(view(arange(6)))).toThrow("Argument 'input': Buffer has wrong number of dimensions (expected 2, got 1)")
    expect(codeOf(() => processBuffer(view(new Float64Array(6), { shape: [2, 3] })))).toBe('ERR_MEMVIEW_DTYPE')
    expect(codeOf(() => processBuffer(view(arange(6), { shape: [2, 3] }), view(arange(6))))).toBe('ERR_MEMVIEW_NDIM')
  })

  it('process_3d_buffer: slices in the declaration apply to the argument', () => {
    const process3d = typed(['int[1:102:2, :] view not None'], (v) => [v.shape[0], v.shape[1], v.get(0, 0), v.get(1, 0)])
    const data = view<number>(arange(200 * 3), { shape: [200, 3] })
    expect(process3d(data)).toEqual([51, 3, 3, 9])
  })
})
