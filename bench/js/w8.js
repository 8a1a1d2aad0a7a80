'use strict'
// W8: event-loop lag while async kernels run for ~1 s (back-to-back ops.sumAsync over 64 MiB of
// float64 in memview memory). perf_hooks.monitorEventLoopDelay (1 ms resolution) gives the p99
// delay; a setTimeout(1) probe and a setImmediate probe (queued to run) give their own p99 lags.
// The same probes with the loop idle are the baseline. Unit: ms. On Linux, the JS thread's
// run-queue wait (/proc/self/task/<pid>/schedstat) tells lag that comes from waiting for a CPU
// (the pool thread and other processes competing for 2 cores) from work done on the JS thread.
const fs = require('node:fs')
const { monitorEventLoopDelay } = require('node:perf_hooks')
const { QUICK, emit, loadOps, now } = require('./harness')
const mv = require('../../dist')

const ops = loadOps(mv)
const DURATION_MS = QUICK ? 500 : 1000

/** [ns on CPU, ns waiting for a CPU] of the JS thread, or null off Linux. */
function schedstat() {
  try {
    const [run, wait] = fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number)
    return [run, wait]
  } catch {
    return null
  }
}

function p99(xs) {
  if (xs.length === 0) return NaN
  const s = xs.slice().sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]
}

/** Runs the probes for DURATION_MS while `load` (a function returning a Promise) repeats. */
async function probe(load) {
  const h = monitorEventLoopDelay({ resolution: 1 })
  const timeoutLags = []
  const immediateLags = []
  const start = now()
  const end = start + DURATION_MS * 1e6
  const s0 = schedstat()
  h.enable()
  const timeouts = new Promise((resolve) => {
    const tick = () => {
      const due = now() + 1e6
      setTimeout(() => {
        timeoutLags.push(Math.max(0, now() - due) / 1e6)
        if (now() < end) tick()
        else resolve()
      }, 1)
    }
    tick()
  })
  const immediates = new Promise((resolve) => {
    const tick = () => {
      const queued = now()
      setImmediate(() => {
        const t = now()
        immediateLags.push((t - queued) / 1e6)
        if (t < end) setTimeout(tick, 1) // one probe per ms, not a busy loop
        else resolve()
      })
    }
    tick()
  })
  let jobs = 0
  const work = (async () => {
    if (!load) return
    while (now() < end) {
      await load()
      jobs++
    }
  })()
  await Promise.all([timeouts, immediates, work])
  h.disable()
  const s1 = schedstat()
  const secs = (now() - start) / 1e9
  const waitMsPerS = s0 && s1 ? (s1[1] - s0[1]) / 1e6 / secs : null
  return { loop: h.percentile(99) / 1e6, timeout: p99(timeoutLags), immediate: p99(immediateLags), jobs, waitMsPerS }
}

async function main() {
  const size = `${DURATION_MS} ms`
  const base = { w: 'W8', size, unit: 'ms' }
  const idle = await probe(null)
  emit({ ...base, impl: 'JS', variant: 'idle loop: monitorEventLoopDelay p99', ns: idle.loop })
  if (!ops || typeof ops.sumAsync !== 'function') {
    emit({ ...base, impl: 'memview', variant: 'ops.sumAsync running: monitorEventLoopDelay p99', key: 'lag', ns: null, note: 'n/a (ops.sumAsync not built)' })
    return
  }
  const n = (64 << 20) / 8
  const a = mv.array({ shape: [n], format: 'd' }).memview
  a.fill(1)
  if ((await ops.sumAsync(a)) !== n) throw new Error('W8: sumAsync is wrong')
  const busy = await probe(() => ops.sumAsync(a))
  emit({ ...base, impl: 'memview', variant: `ops.sumAsync running (${busy.jobs} jobs): monitorEventLoopDelay p99`, key: 'lag', ns: busy.loop })
  emit({ ...base, impl: 'memview', variant: 'ops.sumAsync running: setTimeout(1) lag p99', key: 'timeout', ns: busy.timeout })
  emit({ ...base, impl: 'memview', variant: 'ops.sumAsync running: setImmediate lag p99', key: 'immediate', ns: busy.immediate })
  emit({ ...base, impl: 'JS', variant: 'idle loop: setTimeout(1) lag p99', ns: idle.timeout })
  if (busy.waitMsPerS !== null) {
    emit({ ...base, impl: 'memview', variant: 'ops.sumAsync running: JS thread waiting for a CPU, ms per s', key: 'wait', ns: busy.waitMsPerS })
    emit({ ...base, impl: 'JS', variant: 'idle loop: JS thread waiting for a CPU, ms per s', ns: idle.waitMsPerS })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
