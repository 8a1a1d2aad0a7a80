'use strict'
// Shared timing for the JS workloads of `npm run bench`. Each workload file runs in its own Node
// process (so one workload's JIT feedback, e.g. get() seeing Int32Array and Float64Array views,
// does not leak into another's numbers) and prints one JSON object per line on stdout.
//
// measure() / compare(): warm up (lets TurboFan optimize), calibrate the calls per repetition so
// that one repetition lasts at least MIN_MS, then take the median of REPS repetitions, in ns per
// element.

const QUICK = process.argv.includes('--quick')
const REPS = QUICK ? 3 : 9
const MIN_MS = QUICK ? 8 : 25
const WARM_MS = QUICK ? 40 : 120

let sink = 0 // results flow here so no loop is dead code

// Only numbers count: converting a returned TypedArray or view with + would stringify it.
const num = (r) => (typeof r === 'number' ? r : typeof r === 'bigint' ? Number(r & 0xffffn) : 0)

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b)
  return s[s.length >> 1]
}

const now = () => Number(process.hrtime.bigint())

/**
 * Median ns per element of fn() (which handles `elems` elements per call).
 * opts.reps / opts.warmMs / opts.minMs override the defaults (slow JS fallbacks use reps: 1).
 */
function measure(fn, elems, opts = {}) {
  const reps = opts.reps ?? REPS
  const warmMs = opts.warmMs ?? WARM_MS
  const minMs = opts.minMs ?? MIN_MS
  const t0 = now()
  let calls = 0
  let t = t0
  do {
    sink += num(fn())
    calls++
    t = now()
  } while ((t - t0) / 1e6 < warmMs || calls < 2)
  const iters = Math.max(1, Math.ceil((minMs * 1e6) / ((t - t0) / calls)))
  const res = []
  for (let r = 0; r < reps; r++) {
    const s = now()
    for (let k = 0; k < iters; k++) sink += num(fn())
    res.push((now() - s) / (iters * elems))
  }
  return median(res)
}

/**
 * Several variants measured side by side: each is warmed up and calibrated, then the repetitions
 * are interleaved (variant 1, 2, ..., 1, 2, ...) so that a slow phase of a busy machine hits all
 * of them alike. Each entry: { fn, elems, row } (row: what emit() prints, ns filled in).
 */
function compare(entries, opts = {}) {
  const reps = opts.reps ?? REPS
  const warmMs = opts.warmMs ?? WARM_MS
  const minMs = opts.minMs ?? MIN_MS
  const plan = entries.map((e) => {
    const t0 = now()
    let calls = 0
    let t = t0
    do {
      sink += num(e.fn())
      calls++
      t = now()
    } while ((t - t0) / 1e6 < warmMs || calls < 2)
    return { e, iters: Math.max(1, Math.ceil((minMs * 1e6) / ((t - t0) / calls))), res: [] }
  })
  for (let r = 0; r < reps; r++)
    for (const p of plan) {
      const s = now()
      for (let k = 0; k < p.iters; k++) sink += num(p.e.fn())
      p.res.push((now() - s) / (p.iters * p.e.elems))
    }
  for (const p of plan) emit({ ...p.e.row, ns: median(p.res) })
}

/** One timed call, no warm-up (for JS fallbacks that take seconds). */
function once(fn, elems) {
  const s = now()
  sink += num(fn())
  return (now() - s) / elems
}

function emit(row) {
  process.stdout.write(JSON.stringify({ unit: 'ns/el', ...row }) + '\n')
}

/** memview's ops module, or null while it is not built (another engineer is adding it). */
function loadOps(mv) {
  const ops = mv.ops
  return ops && typeof ops === 'object' && typeof ops.sum === 'function' ? ops : null
}

process.on('exit', () => {
  if (sink === 0.5) console.error('') // keeps `sink` observable
})

module.exports = { QUICK, REPS, measure, compare, once, emit, median, loadOps, now }
