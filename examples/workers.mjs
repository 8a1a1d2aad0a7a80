// Native memory shared by worker_threads: two workers fill their halves of one array in place
// (no copy crosses threads), then the main thread sums it on the libuv thread pool. The memory is
// freed once, after the last view in any thread is gone.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

import { array, ops } from 'memview'

const entry = createRequire(import.meta.url).resolve('memview')

const FILL = `
const { workerData } = require('node:worker_threads')
const { view } = require(workerData.entry)
const v = view('double[:, ::1]', workerData.desc) // the same memory as the main thread's array
for (let i = workerData.from; i < workerData.to; i++)
  for (let j = 0; j < v.shape[1]; j++) v.set(i, j, workerData.value)
`

function fill(desc, from, to, value) {
  return new Promise((resolve, reject) => {
    const w = new Worker(FILL, { eval: true, workerData: { entry, desc, from, to, value } })
    w.once('error', reject)
    w.once('exit', resolve)
  })
}

const a = array({ shape: [1000, 1000], format: 'd' })
// share() hands each worker a one-use descriptor; the memory stays alive until it is redeemed.
await Promise.all([fill(a.memview.share(), 0, 500, 1), fill(a.memview.share(), 500, 1000, 2)])

console.log(`sum: ${await ops.sumAsync(a.memview)}`)
console.log(`row 0 mean: ${ops.mean(a.memview.at(0))}, row 999 mean: ${ops.mean(a.memview.at(999))}`)
a.free()
