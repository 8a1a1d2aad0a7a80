// Runtimes that refuse external ArrayBuffers (Electron's V8 sandbox). MEMVIEW_NO_EXTERNAL=1
// forces that path: owned arrays live in JS-allocated ArrayBuffers (still zero-copy), foreign
// pointers are copied, and the view says so.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

const DIST = join(__dirname, '..', 'dist')

const SCRIPT = `
const m = require(${JSON.stringify(DIST)})
const { native } = require(${JSON.stringify(join(DIST, 'native'))})
const out = { caps: { externalBuffers: m.capabilities.externalBuffers, forcedCopy: m.capabilities.forcedCopy } }
const a = m.array({ shape: [4], format: 'i' })
const ta = a.memview.asTypedArray()
ta[1] = 5
out.arrayZeroCopy = a.memview.zeroCopy
out.arrayAliases = a.memview.get(1) === 5
const p = native.testing.malloc(16)
const v = m.fromPointer(p, 'int[:4]')
v.set(0, 7)
out.pointerZeroCopy = v.zeroCopy
out.pointerWriteReachedC = m.fromPointer(p, 'int[:4]').get(0) === 7
a.free()
out.freedReadsNothing = ta.length === 0
out.pointerSum = m.ops.sum(m.fromPointer(native.testing.malloc(16), 'int[:4]')) // a copy on this runtime
const b = m.array({ shape: [3], format: 'd' })
b.memview.fill(2)
out.syncSum = m.ops.sum(b.memview)
// An async job over a fresh array's owner block: JS memory could be detached under it.
try {
  const r = native.kernel(3, true, 100, 0, 0, 0, undefined, new Float64Array([0, 8, 1, 3, 8, -1]), null, b.memview._m.pinningOwner)
  r.then(() => {}, () => {})
  out.asyncOverOwnerBlock = 'ran'
} catch (e) {
  out.asyncOverOwnerBlock = e.code
}
console.log(JSON.stringify(out))
`

function run(env: Record<string, string>): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['-e', SCRIPT], { env: { ...process.env, ...env }, encoding: 'utf8' })
  return JSON.parse(out) as Record<string, unknown>
}

describe('without external buffers', () => {
  it('arrays stay zero-copy in JS memory; foreign pointers copy and say so', () => {
    expect(run({ MEMVIEW_NO_EXTERNAL: '1' })).toEqual({
      caps: { externalBuffers: false, forcedCopy: true },
      arrayZeroCopy: true,
      arrayAliases: true,
      pointerZeroCopy: false,
      pointerWriteReachedC: false,
      freedReadsNothing: true,
      pointerSum: 0,
      syncSum: 6,
      asyncOverOwnerBlock: 'ERR_MEMVIEW_EXTENT', // JS memory goes by its buffer, never the raw block
    })
  })
  it('with external buffers everything is zero-copy', () => {
    expect(run({ MEMVIEW_NO_EXTERNAL: '0' })).toEqual({
      caps: { externalBuffers: true, forcedCopy: false },
      arrayZeroCopy: true,
      arrayAliases: true,
      pointerZeroCopy: true,
      pointerWriteReachedC: true,
      freedReadsNothing: true,
      pointerSum: 0,
      syncSum: 6,
      asyncOverOwnerBlock: 'ran',
    })
  })
})
