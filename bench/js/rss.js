'use strict'
// RSS: a synchronous loop creates and drops 10^5 native arrays (64 KiB each) without yielding.
// With array.free() (or `using`) memory returns at once. Left to GC, Node 20 would run the
// finalizers only after the loop (nodejs/node-addon-api#917); memview instead drops the owner
// references of collected handles and buffers when it makes new memory (native/addon/reclaim.h),
// so RSS stays bounded either way. Reported in MiB of peak RSS over the loop.
const { QUICK, emit } = require('./harness')
const mv = require('../../dist')
const { native } = require('../../dist/native')

const N = QUICK ? 2e4 : 1e5
const mib = () => process.memoryUsage().rss / 2 ** 20

function peakGrowth(makeOne) {
  const start = mib()
  let peak = start
  for (let i = 0; i < N; i++) {
    makeOne()
    if (i % 2000 === 0) peak = Math.max(peak, mib())
  }
  return peak - start
}

const arrayFreed = () => {
  const a = mv.array({ shape: [65536], format: 'B' })
  a.memview.set(0, 1)
  a.free()
}
const arrayDropped = () => mv.array({ shape: [65536], format: 'B' }).memview.set(0, 1)
// malloc'd by C, freed by a C callback (the addon's test allocator: calloc and free).
const pointerDropped = () => {
  const p = native.testing.malloc(65536)
  mv.fromPointer(p, 'uint8_t[:65536]', { free: native.testing.freeAddress() }).set(0, 1)
}

const w = { w: 'RSS', size: `${N} x 64KiB`, impl: 'memview', unit: 'MiB' }
emit({ ...w, variant: 'peak RSS growth, array.free() each', key: 'free', ns: peakGrowth(arrayFreed) })
emit({ ...w, variant: 'peak RSS growth, array() left to GC', key: 'gc', ns: peakGrowth(arrayDropped) })
emit({ ...w, variant: 'peak RSS growth, fromPointer + C free left to GC', key: 'gc-pointer', ns: peakGrowth(pointerDropped) })
