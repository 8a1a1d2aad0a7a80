// Native memory beyond Node 20's 2^32-byte ArrayBuffer limit: a lazily committed 5 GiB region
// (calloc: untouched pages cost nothing) works for get/set, slicing, kernels and the C ABI path.
import { describe, expect, it } from 'vitest'

import { type MemoryView, PyBUF, fromPointer, getBuffer, ops } from '../lib/index'
import { testing } from './helpers'

const GiB = 2 ** 30
const N = 5 * GiB

describe('views over more than 2^32 bytes', () => {
  const v = fromPointer(testing.malloc(N), `uint8_t[:${N}]`, { free: testing.freeAddress() }) as MemoryView<number>

  it('reads and writes anywhere, including across window boundaries', () => {
    for (const i of [0, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 3 * GiB - 1, 3 * GiB, N - 1]) {
      v.set(i, (i % 251) + 1)
      expect(v.get(i)).toBe((i % 251) + 1)
    }
    expect(v.get(-1)).toBe(((N - 1) % 251) + 1)
    expect(() => v.get(N)).toThrow('Out of bounds on buffer access (axis 0)')
  })

  it('slices beyond 4 GiB get a window and the fast path; typed reinterpretation works', () => {
    const s = v.at(`${4 * GiB}:${4 * GiB + 64}`) as MemoryView<number>
    s.set(3, 9)
    expect(v.get(4 * GiB + 3)).toBe(9)
    expect(s.asTypedArray().length).toBe(64)
    const d = fromPointer(testing.malloc(N), `double[:${N / 8}]`, { free: testing.freeAddress() }) as MemoryView<number>
    const tail = d.at('-4:') as MemoryView<number>
    tail.set(0, 1.5)
    expect(d.get(-4)).toBe(1.5)
    const mid = d.at(`${2 ** 29 - 2}:${2 ** 29 + 2}`) as MemoryView<number> // crosses the 4 GiB line
    mid.fill(2)
    expect(mid.tolist()).toEqual([2, 2, 2, 2])
  })

  it('kernels run over the whole region', () => {
    const part = v.at(`${4 * GiB}:${4 * GiB + 1000}`) as MemoryView<number>
    ops.fill(part, 1)
    expect(ops.sum(part)).toBe(1000)
    const stride = v.at(`::${GiB}`) as MemoryView<number> // 5 elements, one per GiB
    expect(stride.shape).toEqual([5])
    stride.fill(7)
    expect(ops.sum(stride)).toBe(35)
    expect(v.get(4 * GiB)).toBe(7)
  })

  it('getBuffer describes it', () => {
    const info = getBuffer(v.at(`${3 * GiB}:`) as MemoryView, PyBUF.FULL_RO)
    expect(info.len).toBe(2 * GiB)
    info.release()
  })
})
