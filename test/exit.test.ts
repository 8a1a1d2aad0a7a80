// Pending C free callbacks run exactly once at process exit and worker termination; memory that
// was not given a free callback is never freed.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

const DIST = join(__dirname, '..', 'dist')

const MAKE_VIEWS = `
const m = require(${JSON.stringify(DIST)})
const { native } = require(${JSON.stringify(join(DIST, 'native'))})
globalThis.keep = [
  m.fromPointer(native.testing.malloc(16), 'int[:4]', { free: native.testing.freeLoudAddress() }),
  m.fromPointer(native.testing.malloc(16), 'int[:4]', { free: native.testing.freeLoudAddress() }).at('1:'),
  m.fromPointer(native.testing.malloc(16), 'int[:4]'), // borrowed: never freed
]
`

function countFrees(code: string): number {
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' })
  expect(r.status).toBe(0)
  return (r.stderr.match(/memview-test: freed/g) ?? []).length
}

describe('free callbacks at exit', () => {
  it('run once when the process ends naturally with views alive', () => {
    expect(countFrees(MAKE_VIEWS)).toBe(2)
  })
  it('run once on process.exit()', () => {
    expect(countFrees(MAKE_VIEWS + 'process.exit(0)')).toBe(2)
  })
  it('run once when a worker holding views is terminated', () => {
    const code = `
      const { Worker } = require('node:worker_threads')
      const w = new Worker(${JSON.stringify(MAKE_VIEWS + "require('node:worker_threads').parentPort.postMessage(1); setInterval(() => {}, 1000)")}, { eval: true })
      w.once('message', () => w.terminate())
    `
    expect(countFrees(code)).toBe(2)
  })
})
