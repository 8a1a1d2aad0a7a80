// Views across worker_threads: the same memory, one free after the last view in any thread.
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'

import { describe, expect, it } from 'vitest'

import { type MemoryView, array, fromPointer, view } from '../lib/index'
import { native } from '../lib/native'
import { codeOf, collectUntil, settle, testing } from './helpers'

const DIST = join(__dirname, '..', 'dist')

// A worker that makes a view from the descriptor, fills rows [from, to) with `value`, and exits.
const FILL_WORKER = `
const { workerData, parentPort } = require('node:worker_threads')
const { view } = require(workerData.dist)
const v = view('double[:, ::1]', workerData.desc)
for (let i = workerData.from; i < workerData.to; i++) for (let j = 0; j < v.shape[1]; j++) v.set(i, j, workerData.value)
parentPort.postMessage('done')
if (workerData.hang) setInterval(() => {}, 1000)
`

function runWorker(data: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = new Worker(FILL_WORKER, { eval: true, workerData: { dist: DIST, ...data } })
    w.once('message', () => {
      if ((data as { hang?: boolean }).hang) void w.terminate().then(() => resolve())
    })
    w.once('error', reject)
    w.once('exit', () => resolve())
  })
}

describe('share() between worker_threads', () => {
  it('two workers fill halves of native memory; the free runs once, after the last view', async () => {
    const before = testing.freeCount()
    const sum = await (async () => {
      const v = fromPointer(testing.malloc(8 * 100 * 50), 'double[:100, :50]', { free: testing.freeAddress() }) as MemoryView<number>
      await Promise.all([
        runWorker({ desc: v.share(), from: 0, to: 50, value: 1 }),
        runWorker({ desc: v.share(), from: 50, to: 100, value: 2, hang: true }), // terminated, not exited
      ])
      let s = 0
      for (let i = 0; i < 100; i++) for (let j = 0; j < 50; j++) s += v.get(i, j)
      return s
    })()
    expect(sum).toBe(50 * 50 * 1 + 50 * 50 * 2)
    expect(await collectUntil(() => testing.freeCount() >= before + 1)).toBe(true)
    await settle(5)
    expect(testing.freeCount()).toBe(before + 1)
    expect(native.outstandingShares()).toBe(0)
  })

  it('memory outlives the sharing thread dropping its views', async () => {
    const a = array({ shape: [4, 4], format: 'd' })
    const desc = a.memview.share()
    a.free() // this thread is done with it; the ticket still holds the memory
    await runWorker({ desc, from: 0, to: 4, value: 3 })
    expect(native.outstandingShares()).toBe(0)
  })

  it('SharedArrayBuffer views share directly', async () => {
    const sab = new SharedArrayBuffer(8 * 4 * 3)
    const v = view<number>('double[:, ::1]', sab, { shape: [4, 3] })
    await runWorker({ desc: v.share(), from: 1, to: 3, value: 7 })
    expect(v.tolist()).toEqual([[0, 0, 0], [7, 7, 7], [7, 7, 7], [0, 0, 0]])
  })

  it('a descriptor makes one view; plain ArrayBuffers cannot be shared', () => {
    const v = array({ shape: [2], format: 'd' }).memview
    const d = v.share()
    view(d)
    expect(codeOf(() => view(d))).toBe('ERR_MEMVIEW_RELEASED')
    expect(codeOf(() => view(new Float64Array(2)).share())).toBe('ERR_MEMVIEW_UNSUPPORTED')
    expect(codeOf(() => view({ ...d, ticket: 123456789n }))).toBe('ERR_MEMVIEW_RELEASED')
    const forged = { ...array({ shape: [2], format: 'd' }).memview.share(), shape: [1000] }
    expect(codeOf(() => view(forged))).toBe('ERR_MEMVIEW_EXTENT')
  })
})
