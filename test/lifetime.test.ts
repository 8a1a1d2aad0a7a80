// Owners and free callbacks: exactly once, after the last view and slice are gone, never before.
import { describe, expect, it } from 'vitest'

import { type MemoryView, array, diagnostics, fromPointer } from '../lib/index'
import { codeOf, collectUntil, settle, testing } from './helpers'

describe('C free callbacks', () => {
  it('run once, after the last slice is collected', async () => {
    const before = testing.freeCount()
    // Made in a plain function: an async test's locals may live in its context until it ends.
    let slice: MemoryView<number> | null = (() => {
      const ptr = testing.malloc(80)
      const v = fromPointer(ptr, 'int[:4, :5]', { free: testing.freeAddress() }) as MemoryView<number>
      v.set(3, 4, 17)
      return v.at('2:, ::2') as MemoryView<number>
    })()
    await settle()
    expect(testing.freeCount()).toBe(before)
    expect(slice!.get(1, 2)).toBe(17)
    slice = null
    expect(await collectUntil(() => testing.freeCount() >= before + 1)).toBe(true)
    await settle(5)
    expect(testing.freeCount()).toBe(before + 1)
  })

  it('a borrowed pointer (no free) is never freed', async () => {
    const before = testing.freeCount()
    const ptr = testing.malloc(16)
    ;(() => {
      fromPointer(ptr, 'int[:4]').set(0, 1)
    })()
    await settle(20)
    expect(testing.freeCount()).toBe(before)
    // Still valid memory: we can adopt it again and free it for real.
    const again = fromPointer(ptr, 'int[:4]', { free: testing.freeAddress() })
    expect(again.get(0)).toBe(1)
  })
})

describe('JS free callbacks', () => {
  it('run once on the JS thread, after the last view', async () => {
    const calls: bigint[] = []
    const ptr = testing.malloc(32)
    ;(() => {
      const a = array({ shape: [4], format: 'd', allocate: false, data: ptr, free: (p) => calls.push(p) })
      a.memview.set(0, 1.5)
    })()
    expect(await collectUntil(() => calls.length > 0)).toBe(true)
    await settle(5)
    expect(calls).toEqual([ptr])
  })

  it('free() ends life now: views throw, stale buffers read nothing, callback runs once', async () => {
    const calls: bigint[] = []
    const ptr = testing.malloc(32)
    const a = array({ shape: [4], format: 'd', allocate: false, data: ptr, free: (p) => calls.push(p) })
    const v = a.memview as MemoryView<number>
    const ta = v.asTypedArray()
    v.set(1, 2)
    a.free()
    expect(codeOf(() => v.get(1))).toMatch(/ERR_MEMVIEW_(RELEASED|DETACHED)/)
    expect(ta.length).toBe(0)
    a.free()
    expect(await collectUntil(() => calls.length > 0)).toBe(true)
    await settle(5)
    expect(calls.length).toBe(1)
  })

  it('`using` an array frees it when the scope ends', async () => {
    const calls: bigint[] = []
    const ptr = testing.malloc(16)
    let stale: Float64Array
    {
      using a = array({ shape: [2], format: 'd', allocate: false, data: ptr, free: (p) => calls.push(p) })
      stale = a.memview.asTypedArray() as Float64Array
      expect(stale.length).toBe(2)
    }
    expect(stale.length).toBe(0) // detached at the scope's end, before any GC
    expect(await collectUntil(() => calls.length > 0)).toBe(true)
    expect(calls).toEqual([ptr])
  })

  it('steal() cancels the free and hands the pointer back', async () => {
    const calls: bigint[] = []
    const ptr = testing.malloc(8)
    const a = array({ shape: [2], format: 'i', allocate: false, data: ptr, free: (p) => calls.push(p) })
    expect(a.steal()).toBe(ptr)
    await settle(10)
    expect(calls.length).toBe(0)
    fromPointer(ptr, 'int[:2]', { free: testing.freeAddress() })
  })
})

describe('allocated arrays', () => {
  it('are zeroed, 64-byte aligned and freed when unreachable', async () => {
    const a = array({ shape: [3, 3, 3], format: 'i' })
    expect(a.memview.tolist()).toEqual(Array.from({ length: 3 }, () => Array.from({ length: 3 }, () => [0, 0, 0])))
    expect(a.address! % 64n).toBe(0n)
    const live = diagnostics.liveOwners()
    ;(() => {
      for (let i = 0; i < 100; i++) array({ shape: [1000], format: 'd' })
    })()
    expect(await collectUntil(() => diagnostics.liveOwners() <= live)).toBe(true)
  })

  it('a view keeps its array alive after the array object is dropped', async () => {
    let v: MemoryView<number> | null = (() => {
      const a = array({ shape: [10], format: 'i' })
      a.memview.set(9, 99)
      return a.memview.at('5:') as MemoryView<number>
    })()
    await settle()
    expect(v.get(4)).toBe(99)
    v = null
  })

  it('validates like cython.view.array', () => {
    expect(codeOf(() => array({ shape: [], format: 'i' }))).toBe('ERR_MEMVIEW_EXTENT')
    expect(() => array({ shape: [], format: 'i' })).toThrow('Empty shape tuple for cython.array')
    expect(() => array({ shape: [2, -1], format: 'i' })).toThrow('Invalid shape in axis 1: -1.')
    expect(() => array({ shape: [2], itemsize: 0 })).toThrow('itemsize <= 0 for cython.array')
    expect(() => array({ shape: [2], format: 'i', mode: 'x' as 'c' })).toThrow("Invalid mode, expected 'c' or 'fortran', got x")
    expect(codeOf(() => array({ shape: [2 ** 40, 2 ** 40], format: 'd' }))).toBe('ERR_MEMVIEW_ALLOC')
    const f = array({ shape: [2, 3], format: 'i', mode: 'fortran' })
    expect(f.strides).toEqual([4, 8])
    expect(array({ shape: [2, 3], format: 'i' }).strides).toEqual([12, 4])
    expect(f.mode).toBe('fortran')
    expect(array({ shape: [4], itemsize: 2 }).format).toBe('H')
  })
})

describe('memory accounting', () => {
  const mib = () => Math.round(testing.externalMemory() / 2 ** 20)
  it('native memory is reported to V8 exactly once, and un-reported when freed', () => {
    const start = mib()
    const a = array({ shape: [32 * 2 ** 20], format: 'B', zero: false })
    expect(mib() - start).toBe(32) // reported while no ArrayBuffer represents it
    a.memview.get(0)
    expect(mib() - start).toBe(32) // the aliasing buffer now counts it instead: still once
    a.free()
    expect(mib() - start).toBe(0)
    const p = testing.malloc(8 * 2 ** 20)
    const owned = fromPointer(p, `uint8_t[:${8 * 2 ** 20}]`, { free: testing.freeAddress() })
    expect(mib() - start).toBe(8)
    fromPointer(p, `uint8_t[:${8 * 2 ** 20}]`) // borrowed: not ours to report
    expect(mib() - start).toBe(8)
    ;(owned.base as { free(): void }).free()
    expect(mib() - start).toBe(0)
  })
})
