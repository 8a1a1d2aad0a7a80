'use strict'
// W6: wrapping external memory must cost the same for 1 KiB and 1 GiB (ns per wrap).
// fromPointer(ptr, 'uint8_t[:N]', { free }) over calloc'd memory (lazy for 1 GiB: never touched),
// the same without free (borrowed), and array({ shape: [N], format: 'B', zero: false }).
// Every pointer is freed by memview (free: the C free) once its view is collected; the run checks
// the free count at the end. Run with --expose-gc.
const { QUICK, median, emit, now } = require('./harness')
const mv = require('../../dist')
const { native } = require('../../dist/native')

const gc = typeof global.gc === 'function' ? global.gc : () => {}
const freeAddr = native.testing.freeAddress()
const REPS = QUICK ? 3 : 7
const freesBefore = native.testing.freeCount()
let expectedFrees = 0

async function settle() {
  gc()
  await new Promise((r) => setImmediate(r))
  gc()
  await new Promise((r) => setImmediate(r))
}

/** Median over reps of (time of `batch` calls of make(i)) / batch; setup() is untimed. */
async function perOp(batch, setup, make) {
  const res = []
  for (let r = -1; r < REPS; r++) { // r = -1: warm-up
    const ctx = setup()
    const keep = new Array(batch)
    const s = now()
    for (let i = 0; i < batch; i++) keep[i] = make(ctx, i)
    const e = now()
    if (r >= 0) res.push((e - s) / batch)
    keep.length = 0
    await settle()
  }
  return median(res)
}

async function main() {
  for (const [label, N, batch] of [['1KiB', 1024, 200], ['1GiB', 1 << 30, QUICK ? 20 : 40]]) {
    const decl = `uint8_t[:${N}]`
    const w = { w: 'W6', size: label, impl: 'memview', unit: 'ns/op' }
    emit({
      ...w, variant: `fromPointer(ptr, '${decl}', { free })`, key: 'fromPointer',
      ns: await perOp(batch, () => {
        const ptrs = []
        for (let i = 0; i < batch; i++) ptrs.push(native.testing.malloc(N))
        expectedFrees += batch
        return ptrs
      }, (ptrs, i) => mv.fromPointer(ptrs[i], decl, { free: freeAddr })),
    })
    const shared = native.testing.malloc(N)
    emit({
      ...w, variant: `fromPointer(ptr, '${decl}') (borrowed)`, key: 'borrowed',
      ns: await perOp(batch, () => shared, (p) => mv.fromPointer(p, decl)),
    })
    // The borrowed pointer is freed by one last view that owns it.
    mv.fromPointer(shared, decl, { free: freeAddr })
    expectedFrees++
    emit({
      ...w, variant: `array({ shape: [${label === '1KiB' ? 1024 : '1 << 30'}], format: 'B', zero: false })`, key: 'array',
      ns: await perOp(batch, () => null, () => mv.array({ shape: [N], format: 'B', zero: false })),
    })
  }
  await settle()
  await settle()
  const freed = native.testing.freeCount() - freesBefore
  if (process.env.BENCH_DEBUG) process.stderr.write(`W6: ${freed} of ${expectedFrees} pointers freed\n`)
  if (typeof global.gc === 'function' && freed !== expectedFrees)
    process.stderr.write(`W6: ${freed} of ${expectedFrees} pointers freed after GC (finalizers may still be pending)\n`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
