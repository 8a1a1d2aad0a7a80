#!/usr/bin/env node
// Builds test/fuzz/fuzz_core.cc with the C++ core under ASan + UBSan and runs it for a bounded
// time (FUZZ_SECONDS, default 20). The golden formats of test/fixtures/formats.json are the
// parser's seed corpus. Every FUZZ_* variable is passed through (see the top of fuzz_core.cc):
//   FUZZ_SECONDS=60 node scripts/fuzz-core.js            # CI
//   FUZZ_SEED=123 FUZZ_ITER=4567 node scripts/fuzz-core.js  # reproduce one printed case
//   FUZZ_KNOWN_BUGS=1 node scripts/fuzz-core.js          # also feed inputs of reported bugs
// CXX picks the compiler; FUZZ_CXXFLAGS replaces the sanitizer flags (e.g. for valgrind: "-O1 -g").
'use strict'
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const outDir = path.join(root, 'build', 'fuzz')
fs.mkdirSync(outDir, { recursive: true })

// Seed corpus: every golden format (valid and invalid), length-prefixed bytes.
const seedsFile = path.join(outDir, 'format-seeds.bin')
const fixtures = JSON.parse(fs.readFileSync(path.join(root, 'test', 'fixtures', 'formats.json'), 'utf8'))
const chunks = []
for (const c of [...fixtures.valid, ...fixtures.invalid]) {
  const bytes = Buffer.from(c.format, 'utf8')
  const len = Buffer.alloc(4)
  len.writeUInt32LE(bytes.length)
  chunks.push(len, bytes)
}
fs.writeFileSync(seedsFile, Buffer.concat(chunks))

const coreSources = fs.readdirSync(path.join(root, 'native', 'core')).filter((f) => f.endsWith('.cc')).sort().map((f) => `native/core/${f}`)
const sources = [...coreSources, 'test/fuzz/fuzz_core.cc']
const sanitize = ['-O1', '-g', '-fsanitize=address,undefined', '-fno-omit-frame-pointer', '-fno-sanitize-recover=undefined']
const flags = process.env.FUZZ_CXXFLAGS ? process.env.FUZZ_CXXFLAGS.split(/\s+/).filter(Boolean) : sanitize
const common = ['-std=c++17', '-Wall', '-Wextra', '-pthread', ...flags, '-Inative/core', '-Inative/include']
const exe = path.join(outDir, 'fuzz-core')
const cxx = process.env.CXX || 'c++'

// Objects are cached per source: rebuilt when the source, any core header or the flags change.
const objDir = path.join(outDir, 'obj')
fs.mkdirSync(objDir, { recursive: true })
const mtime = (f) => fs.statSync(path.join(root, f)).mtimeMs
const headers = fs.readdirSync(path.join(root, 'native', 'core')).filter((f) => f.endsWith('.h')).map((f) => `native/core/${f}`)
const newestHeader = Math.max(0, ...headers.map(mtime))
const stampFile = path.join(objDir, 'flags')
const stamp = JSON.stringify([cxx, common])
const sameFlags = fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp

async function build() {
  const t0 = Date.now()
  const jobs = sources.map((src) => {
    const obj = path.join(objDir, src.replace(/[\/]/g, '_') + '.o')
    const fresh = sameFlags && fs.existsSync(obj) && fs.statSync(obj).mtimeMs > Math.max(mtime(src), newestHeader)
    return { src, obj, fresh }
  })
  const stale = jobs.filter((j) => !j.fresh)
  // At most os.availableParallelism() compilers at a time.
  const limit = Math.max(1, require('node:os').availableParallelism?.() ?? require('node:os').cpus().length)
  let next = 0
  let failed = false
  const worker = async () => {
    while (next < stale.length && !failed) {
      const j = stale[next++]
      const r = await new Promise((resolve) => {
        const p = require('node:child_process').spawn(cxx, [...common, '-c', j.src, '-o', j.obj], { cwd: root, stdio: 'inherit' })
        p.on('close', (code) => resolve(code))
      })
      if (r !== 0) failed = true
    }
  }
  await Promise.all(Array.from({ length: limit }, worker))
  if (failed) {
    console.error('fuzz: compilation failed')
    process.exit(1)
  }
  fs.writeFileSync(stampFile, stamp)
  execFileSync(cxx, [...flags, '-pthread', ...jobs.map((j) => j.obj), '-o', exe], { cwd: root, stdio: 'inherit' })
  console.log(`fuzz: built ${path.relative(root, exe)} in ${((Date.now() - t0) / 1000).toFixed(1)} s (${stale.length} of ${jobs.length} sources compiled; ${flags.join(' ')})`)
}

function run() {
  const env = {
    ...process.env,
    FUZZ_SEEDS: seedsFile,
    // allocator_may_return_null: huge allocations are a tested input (the core must see NULL, not abort).
    ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'allocator_may_return_null=1:detect_leaks=1',
    UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || 'print_stacktrace=1:halt_on_error=1:abort_on_error=1',
  }
  const r = spawnSync(exe, [], { cwd: root, stdio: 'inherit', env })
  if (r.status !== 0) console.error(`fuzz: FAILED (exit ${r.status === null ? r.signal : r.status})`)
  process.exit(r.status === null ? 1 : r.status)
}

build().then(run, (e) => {
  console.error(e)
  process.exit(1)
})
