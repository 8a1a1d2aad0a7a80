// Release at GC time (native/addon/reclaim.h): a synchronous loop that drops native memory keeps
// only a bounded amount alive, although Node 20 runs the finalizers only after the loop. Every
// loop below runs without yielding; gc() stands for the collections V8 makes by itself.
import { describe, expect, it } from 'vitest'

import { type MemoryView, array, diagnostics, fromPointer, ops, view } from '../lib/index'
import { collectUntil, gc, settle, testing } from './helpers'

describe('GC-observed release in a loop that never yields', () => {
  it('dropped arrays are freed during the loop', () => {
    const start = diagnostics.liveOwners()
    let peak = 0
    for (let i = 0; i < 4000; i++) {
      const a = array({ shape: [16384], format: 'B' })
      a.memview.set(0, 1)
      if (i % 400 === 399) gc()
      peak = Math.max(peak, diagnostics.liveOwners() - start)
    }
    // Without it every one of the 4,000 would still be alive here.
    expect(peak).toBeLessThan(1200)
  })

  it('C free callbacks run during the loop, and still exactly once', async () => {
    const before = testing.freeCount()
    for (let i = 0; i < 1000; i++) {
      fromPointer(testing.malloc(64), 'int[:16]', { free: testing.freeAddress() }).set(0, i)
      if (i % 100 === 99) gc()
    }
    expect(testing.freeCount() - before).toBeGreaterThan(500)
    expect(await collectUntil(() => testing.freeCount() >= before + 1000)).toBe(true)
    await settle(5)
    expect(testing.freeCount()).toBe(before + 1000)
  })

  it('JS free callbacks are still deferred to the event loop, and run once each', async () => {
    const freed: bigint[] = []
    const made: bigint[] = []
    for (let i = 0; i < 300; i++) {
      const p = testing.malloc(32)
      made.push(p)
      array({ shape: [4], format: 'd', allocate: false, data: p, free: (q) => freed.push(q) })
      if (i % 50 === 49) gc()
    }
    testing.reclaim()
    expect(freed.length).toBe(0) // never inside the loop, even when the memory's last holder went
    expect(await collectUntil(() => freed.length >= 300)).toBe(true)
    await settle(5)
    expect([...freed].sort()).toEqual([...made].sort())
  })

  it('borrowed pointers are never freed', async () => {
    const before = testing.freeCount()
    const p = testing.malloc(64)
    for (let i = 0; i < 600; i++) {
      fromPointer(p, 'int[:16]').set(i % 16, i)
      if (i % 100 === 99) gc()
    }
    testing.reclaim()
    await settle(5)
    expect(testing.freeCount()).toBe(before)
    const again = fromPointer(p, 'int[:16]', { free: testing.freeAddress() })
    expect(again.get(7)).toBe(599) // the last write to index 7 (599 % 16)
  })

  it('a TypedArray, slice or view that outlives its array keeps the memory', () => {
    const { ta, slice } = (() => {
      const a = array({ shape: [1024], format: 'd' })
      const v = a.memview as MemoryView<number>
      for (let i = 0; i < 1024; i++) v.set(i, i + 0.5)
      return { ta: v.asTypedArray() as Float64Array, slice: v.at('::-2') as MemoryView<number> }
    })()
    for (let i = 0; i < 2000; i++) {
      array({ shape: [4096], format: 'd' })
      if (i % 200 === 199) gc()
    }
    testing.reclaim()
    // Under the ASan build (CI) a read of freed memory here would abort the run.
    expect(ta[1023]).toBe(1023.5)
    expect(slice.get(0)).toBe(1023.5)
    expect(slice.get(511)).toBe(1.5)
  })

  it('an async job and a share ticket keep memory whose views were dropped', async () => {
    const { job, desc } = (() => {
      const a = array({ shape: [1 << 20], format: 'd' })
      a.memview.fill(0.5)
      const b = array({ shape: [3], format: 'i' })
      b.memview.set(2, 42)
      return { job: ops.sumAsync(a.memview as MemoryView<number>), desc: b.memview.share() }
    })()
    churn()
    expect(await job).toBe(2 ** 19)
    churn()
    expect((view(desc) as MemoryView<number>).get(2)).toBe(42)
  })

  it('keeps the external-memory report exact (each block un-reported once)', async () => {
    const mib = () => Math.round(testing.externalMemory() / 2 ** 20)
    await settle(5)
    const start = mib()
    for (let i = 0; i < 200; i++) {
      // Never touched: no ArrayBuffer represents it, so memview reported it itself.
      array({ shape: [2 ** 20], format: 'B', zero: false })
      if (i % 50 === 49) gc()
    }
    expect(mib() - start).toBeLessThan(150)
    await collectUntil(() => mib() <= start)
    await settle(5)
    expect(mib()).toBe(start)
  })
})

/** Makes and drops arrays with collections in between, so scans run and find collected handles. */
function churn(): void {
  for (let i = 0; i < 1000; i++) {
    array({ shape: [1024], format: 'B' })
    if (i % 250 === 249) gc()
  }
  testing.reclaim()
}
