'use strict'
// RSS: a synchronous loop creates and drops 10^5 native arrays (64 KiB each) without yielding.
// With array.free() (or `using`) memory returns at once. Left to GC, Node 20 would run the
// finalizers only after the loop (nodejs/node-addon-api#917); memview instead drops the owner
// references of collected handles and buffers when it makes new memory (native/addon/reclaim.h),
// so RSS stays bounded either way. Reported in MiB of peak RSS over the loop.
const { QUICK, emit } = require('./harness')
const mv = require('../../dist')

const N = QUICK ? 2e4 : 1e5
const mib = () => process.memoryUsage().rss / 2 ** 20

function loop(free) {
  const start = mib()
  let peak = start
  for (let i = 0; i < N; i++) {
    const a = mv.array({ shape: [65536], format: 'B' })
    a.memview.set(0, 1)
    if (free) a.free()
    if (i % 2000 === 0) peak = Math.max(peak, mib())
  }
  return peak - start
}

const w = { w: 'RSS', size: `${N} x 64KiB`, impl: 'memview', unit: 'MiB' }
emit({ ...w, variant: 'peak RSS growth, array.free() each', key: 'free', ns: loop(true) })
emit({ ...w, variant: 'peak RSS growth, left to GC', key: 'gc', ns: loop(false) })
