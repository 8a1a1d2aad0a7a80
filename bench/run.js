#!/usr/bin/env node
'use strict'
// `npm run bench`: every workload of the performance issue side by side in one run.
//
//   node bench/run.js [--quick] [--markdown] [--only W1,W3,...]
//
// 1. compiles the C peers (bench/c/*.c) with cc -O3 -march=native -falign-loops=64 into build/bench/
// 2. runs, workload by workload, the C programs, the NumPy peers (bench/py/bench.py, with
//    OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that child only) and the JS workloads
//    (bench/js/*.js: memview, plain TypedArray loops and scijs ndarray), each in its own process,
//    one after the other (2 cores: running them in parallel would measure contention)
// 3. prints a markdown table (ns per element unless the unit column says otherwise) with ratios and
//    targets, and writes everything to build/bench/results.json
//
// Every process prints one JSON object per line: { w, size, impl, variant, ns, unit, key?, note? }.
// Progress goes to stderr, so `--markdown` leaves only the table on stdout.
const { execFile, execFileSync, spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const OUT = path.join(ROOT, 'build', 'bench')
const argv = process.argv.slice(2)
const QUICK = argv.includes('--quick')
const MARKDOWN = argv.includes('--markdown')
const onlyArg = argv.find((a) => a.startsWith('--only'))
const ONLY = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : argv[argv.indexOf(onlyArg) + 1]).split(',').map((s) => s.trim().toUpperCase()) : null
const CFLAGS = ['-O3', '-march=native', '-falign-loops=64']

const log = (...a) => process.stderr.write(a.join(' ') + '\n')

// ---- steps ---------------------------------------------------------------------------------------

/**
 * The workloads in groups; a group's C, NumPy and JS processes run back to back so that the peers
 * of one workload are measured close together in time (this machine is shared: load drifts).
 * `ws`: the names --only matches (upper case).
 */
const GROUPS = [
  { ws: ['W1', 'W1B', 'W2'], c: ['sum'], py: ['W1', 'W2'], js: ['w1.js', 'w2.js'] },
  { ws: ['W3'], c: ['tcopy'], py: ['W3'], js: ['w3.js'] },
  { ws: ['W4'], c: [], py: ['W4'], js: ['w4.js'] },
  { ws: ['W5'], c: ['mem'], py: ['W5'], js: ['w5.js'] },
  { ws: ['W6'], c: [], py: [], js: ['w6.js'] },
  { ws: ['W7'], c: ['rows'], py: [], js: ['w7.js'] },
  { ws: ['W8'], c: [], py: [], js: ['w8.js'] },
  { ws: ['TYPED'], c: [], py: [], js: ['typed.js'] },
  { ws: ['RSS'], c: [], py: [], js: ['rss.js'] },
]
const wanted = (ws) => ONLY === null || ws.some((w) => ONLY.includes(w))

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), (opts.timeoutS ?? 150) * 1000)
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', (e) => {
      clearTimeout(timer)
      resolve({ code: -1, out, err: err + String(e.message) })
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: signal ? `${signal}` : code, out, err })
    })
  })
}

function parseLines(text) {
  const rows = []
  for (const line of text.split('\n')) {
    const t = line.trim()
    if (!t.startsWith('{')) continue
    try {
      rows.push(JSON.parse(t))
    } catch {
      // not ours
    }
  }
  return rows
}

function compileC() {
  fs.mkdirSync(OUT, { recursive: true })
  const names = [...new Set(GROUPS.filter((g) => wanted(g.ws)).flatMap((g) => g.c))]
  return Promise.all(
    names.map(
      (name) =>
        new Promise((resolve) => {
          const exe = path.join(OUT, name)
          execFile('cc', [...CFLAGS, '-o', exe, path.join(__dirname, 'c', `${name}.c`)], (e, _o, stderr) => {
            if (e) log(`  C ${name}: compile failed: ${(stderr || e.message).trim().split('\n')[0]}`)
            resolve(e ? null : [name, exe])
          })
        }),
    ),
  ).then((xs) => new Map(xs.filter((x) => x !== null)))
}

function toolVersions() {
  const v = { node: process.version, cc: null, numpy: null }
  try {
    v.cc = execFileSync('cc', ['--version'], { encoding: 'utf8' }).split('\n')[0]
  } catch {
    v.cc = null
  }
  return v
}

// ---- the table ----------------------------------------------------------------------------------------

const PEERS = ['C', 'NumPy', 'JS', 'scijs']

/** The thresholds from the issue. `peer`+`variant`: the peer row the ratio is taken against. */
const TARGETS = [
  { w: 'W2', key: 'get', peer: 'JS', variant: 'loop a[i*1000 + j]', max: 1.5, what: 'memview/raw JS ≤ 1.5× (get() incl. its detach check)' },
  { w: 'W7', key: 'get', peer: 'JS', variant: 'loop rows[i][j]', max: 1.5, what: 'memview/rows[i][j] ≤ 1.5×' },
  { w: 'W7', key: 'ops', peer: 'C', variant: 'row pointers, 1 accumulator', max: 1.2, what: 'memview/C row-pointer loop ≤ 1.2×' },
  { w: 'W8', key: 'lag', absMax: 5, what: 'p99 event-loop delay < 5 ms' },
  { w: 'RSS', key: 'gc', absMax: 256, what: 'bounded: < 256 MiB growth for 10^5 dropped 64 KiB arrays' },
  { w: 'RSS', key: 'gc-pointer', absMax: 256, what: 'bounded: < 256 MiB growth with C free callbacks' },
  { w: 'W6', key: 'fromPointer', size: '1GiB', vsSize: '1KiB', max: 1.5, what: '1 GiB / 1 KiB ≤ 1.5× (constant)' },
  { w: 'W6', key: 'array', size: '1GiB', vsSize: '1KiB', max: 1.5, what: '1 GiB / 1 KiB ≤ 1.5× (constant)' },
]

const fmt = (x) => {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a'
  if (x >= 1000) return x.toFixed(0)
  if (x >= 100) return x.toFixed(1)
  if (x >= 10) return x.toFixed(2)
  if (x >= 1) return x.toFixed(2)
  return x.toFixed(3)
}
const fmtRatio = (x) => (x === null || !Number.isFinite(x) ? '–' : `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`)

function best(rows) {
  const ok = rows.filter((r) => Number.isFinite(r.ns))
  return ok.length ? ok.reduce((a, b) => (b.ns < a.ns ? b : a)) : null
}

function peerCell(rows) {
  if (rows.length === 0) return '–'
  const b = best(rows)
  const ordered = b ? [b, ...rows.filter((r) => r !== b)] : rows
  return ordered.map((r) => `${fmt(r.ns)} ${r.variant}`).join(' · ')
}

function evaluateTargets(rows) {
  const out = []
  for (const t of TARGETS) {
    const mine = rows.find((r) => r.w === t.w && r.impl === 'memview' && r.key === t.key && (t.size === undefined || r.size === t.size))
    if (!mine) continue
    let value = null
    let against = ''
    if (t.absMax !== undefined) {
      value = mine.ns
    } else if (t.vsSize) {
      const ref = rows.find((r) => r.w === t.w && r.impl === 'memview' && r.key === t.key && r.size === t.vsSize)
      value = ref && Number.isFinite(ref.ns) && Number.isFinite(mine.ns) ? mine.ns / ref.ns : null
      against = t.vsSize
    } else {
      const ref = rows.find((r) => r.w === t.w && r.impl === t.peer && r.variant === t.variant)
      value = ref && Number.isFinite(ref.ns) && Number.isFinite(mine.ns) ? mine.ns / ref.ns : null
      against = ref ? `${t.peer} ${t.variant}` : ''
    }
    const limit = t.absMax ?? t.max
    const met = value === null ? null : t.absMax !== undefined ? value < limit : value <= limit
    out.push({ ...t, row: mine, value, against, met, note: mine.note })
  }
  return out
}

function targetCell(targets, row) {
  const t = targets.find((x) => x.row === row)
  if (!t) return ''
  if (t.value === null) return `${t.what}: n/a`
  const v = t.absMax !== undefined ? `${fmt(t.value)} ${t.row.unit}` : fmtRatio(t.value)
  return `${t.what}: ${v} ${t.met ? '✅ met' : '❌ missed'}`
}

function buildTable(rows, targets) {
  const groups = new Map() // "w|size" -> rows, in first-seen order of a fixed workload order
  const order = ['W1', 'W1b', 'W2', 'W3', 'W4', 'W5 fill', 'W5 copy', 'W6', 'W7', 'W8', 'typed']
  const sorted = rows.slice().sort((a, b) => {
    const d = order.indexOf(a.w) - order.indexOf(b.w)
    return d !== 0 ? d : 0
  })
  for (const r of sorted) {
    const k = `${r.w}|${r.size}`
    if (!groups.has(k)) groups.set(k, [])
    groups.get(k).push(r)
  }
  const head = ['workload', 'size', 'unit', 'memview', 'memview ns', 'C', 'NumPy', 'raw JS', 'scijs ndarray', 'memview/C', 'memview/raw JS', 'NumPy/memview', 'scijs/memview', 'target']
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 4 || (i >= 9 && i <= 12) ? '--:' : '---')).join('|')}|`]
  for (const [, g] of groups) {
    const mems = g.filter((r) => r.impl === 'memview')
    const peers = Object.fromEntries(PEERS.map((p) => [p, g.filter((r) => r.impl === p)]))
    const bp = Object.fromEntries(PEERS.map((p) => [p, best(peers[p])]))
    const list = mems.length ? mems : [null]
    list.forEach((m, i) => {
      const first = i === 0
      const ns = m && Number.isFinite(m.ns) ? m.ns : null
      const ratio = (num, den) => (num !== null && den !== null && Number.isFinite(num) && Number.isFinite(den) ? num / den : null)
      const w = g[0]
      const relative = w.unit === 'ns/el' || w.unit === 'ns/slice'
      const cells = [
        first ? w.w : '',
        first ? w.size : '',
        first ? w.unit : '',
        m ? m.variant : '–',
        m ? (ns === null ? (m.note ?? 'n/a') : fmt(ns)) : '–',
        first ? peerCell(peers.C) : '',
        first ? peerCell(peers.NumPy) : '',
        first ? peerCell(peers.JS) : '',
        first ? peerCell(peers.scijs) : '',
        relative ? fmtRatio(ratio(ns, bp.C?.ns ?? null)) : '–',
        relative ? fmtRatio(ratio(ns, bp.JS?.ns ?? null)) : '–',
        relative ? fmtRatio(ratio(bp.NumPy?.ns ?? null, ns)) : '–',
        relative ? fmtRatio(ratio(bp.scijs?.ns ?? null, ns)) : '–',
        m ? targetCell(targets, m) : '',
      ]
      lines.push(`| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`)
    })
  }
  return lines.join('\n')
}

// ---- main ------------------------------------------------------------------------------------------------

async function main() {
  const t0 = Date.now()
  const rows = []
  const problems = []
  const meta = {
    date: new Date().toISOString(),
    quick: QUICK,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? null,
    loadavgStart: os.loadavg(),
    cflags: CFLAGS.join(' '),
    ...toolVersions(),
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
    log('dist/ is missing: run `npm run tsc` (and build the addon) first')
    process.exit(1)
  }
  let opsState = 'not built'
  try {
    const mv = require(path.join(ROOT, 'dist'))
    if (mv.ops && typeof mv.ops.sum === 'function') opsState = typeof mv.ops.sumAsync === 'function' ? 'built (sync + async)' : 'built (sync)'
  } catch (e) {
    log(`memview does not load: ${e.message}`)
    process.exit(1)
  }
  meta.ops = opsState
  log(`memview bench${QUICK ? ' (quick)' : ''}: ops ${opsState}; ${meta.cpus} CPUs, load ${meta.loadavgStart.map((x) => x.toFixed(2)).join(' ')}`)

  log('compiling C peers:', `cc ${meta.cflags}`)
  const programs = await compileC()
  const env = { ...process.env } // NumPy's child only: OpenBLAS tuning variables unset
  delete env.OPENBLAS_CORETYPE
  delete env.OPENBLAS_L2_SIZE
  let numpyOk = true
  for (const g of GROUPS.filter((x) => wanted(x.ws))) {
    for (const name of g.c) {
      const exe = programs.get(name)
      if (!exe) {
        problems.push(`C ${name}: did not compile; its C column is n/a`)
        continue
      }
      log(`  C ${name}`)
      const r = await run(exe, QUICK ? ['--quick'] : [])
      if (r.code !== 0) problems.push(`C ${name} exited with ${r.code}: ${r.err.trim().split('\n').slice(-1)[0]}`)
      rows.push(...parseLines(r.out))
    }
    if (g.py.length && numpyOk) {
      log(`  NumPy ${g.py.join(' ')}`)
      const r = await run('python3', [path.join(__dirname, 'py', 'bench.py'), ...(QUICK ? ['--quick'] : []), ...g.py], { env })
      const got = parseLines(r.out)
      const skip = got.find((x) => x.skip)
      const ver = got.find((x) => x.version)
      if (r.code === -1 || skip) {
        numpyOk = false
        problems.push(r.code === -1 ? 'NumPy: python3 not found; NumPy columns are n/a' : `NumPy: ${skip.skip}; NumPy columns are n/a`)
      } else if (r.code !== 0) {
        problems.push(`NumPy ${g.py.join(' ')} exited with ${r.code}: ${r.err.trim().split('\n').slice(-1)[0]}`)
      }
      if (ver) meta.numpy = ver.version
      rows.push(...got.filter((x) => x.w))
    }
    for (const file of g.js) {
      log(`  JS ${file}`)
      const r = await run(process.execPath, ['--expose-gc', path.join(__dirname, 'js', file), ...(QUICK ? ['--quick'] : [])])
      if (r.err.trim()) log(r.err.trim().split('\n').map((l) => `    ${l}`).join('\n'))
      if (r.code !== 0) problems.push(`${file} exited with ${r.code}: ${r.err.trim().split('\n').slice(-1)[0]}`)
      rows.push(...parseLines(r.out))
    }
  }

  meta.loadavgEnd = os.loadavg()
  meta.seconds = (Date.now() - t0) / 1000
  const targets = evaluateTargets(rows)
  const table = buildTable(rows, targets)
  fs.mkdirSync(OUT, { recursive: true })
  const results = {
    meta,
    rows,
    targets: targets.map(({ row, ...t }) => ({ ...t, memview: row.variant, size: row.size })),
    problems,
  }
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 2) + '\n')

  if (MARKDOWN) {
    process.stdout.write(table + '\n')
  } else {
    const out = []
    out.push(`# memview bench${QUICK ? ' (--quick)' : ''}`)
    out.push('')
    out.push(`${meta.cpus} × ${meta.cpu}; Node ${meta.node}; ${meta.cc ?? 'no cc'} (${meta.cflags}); NumPy ${meta.numpy ?? 'n/a'}; ops ${opsState}; load average ${meta.loadavgStart[0].toFixed(2)} → ${meta.loadavgEnd[0].toFixed(2)}; ${meta.seconds.toFixed(0)} s`)
    out.push('')
    out.push('Median of repetitions after warm-up. Peer cells: fastest variant first. Ratios use the fastest variant of each peer: memview/C and memview/raw JS are slowdowns (lower is better, 1× = parity); NumPy/memview and scijs/memview are speedups of memview (higher is better).')
    out.push('')
    out.push(table)
    out.push('')
    out.push('Targets:')
    for (const t of targets) {
      const v = t.value === null ? 'n/a' : t.absMax !== undefined ? `${fmt(t.value)} ${t.row.unit}` : fmtRatio(t.value)
      out.push(`- ${t.w} ${t.row.size} ${t.row.variant}: ${t.what}${t.against ? ` (vs ${t.against})` : ''}: ${v} → ${t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED'}`)
    }
    const idle = rows.find((r) => r.w === 'W8' && r.variant.startsWith('idle loop: monitorEventLoopDelay'))
    if (idle && targets.some((t) => t.w === 'W8')) out.push(`- W8 baseline: the same probe with the loop idle gives p99 ${fmt(idle.ns)} ms on this machine now (load drives both)`)
    const w2 = targets.find((t) => t.w === 'W2')
    if (w2 && w2.value !== null) out.push(`- detach check on the hot path: W2's get() reads each element with its detach test (x === undefined) and bounds checks: ${fmtRatio(w2.value)} raw JS`)
    const ty = rows.filter((r) => r.w === 'typed')
    const tv = ty.find((r) => r.key === 'typed')
    const th = ty.find((r) => r.key === 'hand')
    if (tv && th) out.push(`- typed() call with two 2-D arguments: ${fmt(tv.ns)} ns vs view() twice by hand ${fmt(th.ns)} ns (${fmtRatio(tv.ns / th.ns)})`)
    if (problems.length) {
      out.push('')
      out.push('Problems:')
      for (const p of problems) out.push(`- ${p}`)
    }
    out.push('')
    out.push(`JSON: ${path.relative(ROOT, path.join(OUT, 'results.json'))}`)
    process.stdout.write(out.join('\n') + '\n')
  }
  log(`done in ${meta.seconds.toFixed(0)} s`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
