#!/usr/bin/env node
// Builds and runs the plain C++ core tests (no Node-API). Flags come from the environment so the
// sanitizer and valgrind runs reuse this script: CORE_CXXFLAGS, CORE_RUNNER (e.g. "valgrind ...").
'use strict'
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const outDir = path.join(root, 'build', 'core-tests')
fs.mkdirSync(outDir, { recursive: true })
const sources = [
  ...fs.readdirSync(path.join(root, 'native/core')).filter((f) => f.endsWith('.cc')).map((f) => `native/core/${f}`),
  ...fs.readdirSync(path.join(root, 'test/core')).filter((f) => f.endsWith('.cc')).map((f) => `test/core/${f}`),
]
const extra = (process.env.CORE_CXXFLAGS || '-O1 -g').split(/\s+/).filter(Boolean)
const exe = path.join(outDir, 'core-tests')
const cxx = process.env.CXX || 'c++'
execFileSync(cxx, ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-pthread', ...extra, '-Inative/core', '-Inative/include', ...sources, '-o', exe], {
  cwd: root,
  stdio: 'inherit',
})
const runner = (process.env.CORE_RUNNER || '').split(/\s+/).filter(Boolean)
const cmd = runner.length ? runner[0] : exe
const args = runner.length ? [...runner.slice(1), exe] : []
const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
process.exit(r.status === null ? 1 : r.status)
