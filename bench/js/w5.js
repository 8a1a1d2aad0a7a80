'use strict'
// W5: fill and contiguous copy of 64 MiB (8 Mi float64 elements), ns per element.
const { compare, once, emit, loadOps } = require('./harness')
const mv = require('../../dist')
const ndarray = require('ndarray')
const nops = require('ndarray-ops')

const ops = loadOps(mv)
const n = (64 << 20) / 8
const size = '64MiB'
const a = mv.array({ shape: [n], format: 'd' }).memview
const b = mv.array({ shape: [n], format: 'd' }).memview
const ta = a.asTypedArray()
const tb = b.asTypedArray()
const fa = new Float64Array(n)
const fb = new Float64Array(n)
const na = ndarray(fa, [n])
const nb = ndarray(fb, [n])

function expectAll(what, x, val) {
  for (const i of [0, 1, n >> 1, n - 1]) if (x[i] !== val) throw new Error(`W5 ${what}: element ${i} is ${x[i]}, expected ${val}`)
}

// The JS fallbacks (ops not built) walk every element generically: one run each, measured alone.
const how = ops ? '(native)' : '(JS fallback, 1 run)'
const note = ops ? undefined : 'ops not built'

a.fill(1)
expectAll('memview fill', ta, 1)
b.assign(a)
expectAll('memview copy', tb, 1)
fa.fill(1)
fb.set(fa)
expectAll('JS fill/copy', fb, 1)
fa.fill(0)
fb.fill(0)
nops.assigns(na, 1)
expectAll('scijs fill', fa, 1)
nops.assign(nb, na)
expectAll('scijs copy', fb, 1)

const fill = [
  { row: { w: 'W5 fill', size, impl: 'JS', variant: 'Float64Array.fill(1)' }, fn: () => void fa.fill(1), elems: n },
  { row: { w: 'W5 fill', size, impl: 'scijs', variant: 'ops.assigns(a, 1)' }, fn: () => nops.assigns(na, 1), elems: n },
]
const copy = [
  { row: { w: 'W5 copy', size, impl: 'JS', variant: 'b.set(a)' }, fn: () => fb.set(fa), elems: n },
  { row: { w: 'W5 copy', size, impl: 'scijs', variant: 'ops.assign(b, a)' }, fn: () => nops.assign(nb, na), elems: n },
]
const mvFill = { row: { w: 'W5 fill', size, impl: 'memview', variant: `v.fill(1) ${how}`, key: 'fill', note }, fn: () => void a.fill(1), elems: n }
const mvCopy = { row: { w: 'W5 copy', size, impl: 'memview', variant: `dst.assign(src) ${how}`, key: 'copy', note }, fn: () => void b.assign(a), elems: n }
if (ops) {
  compare([mvFill, ...fill])
  compare([mvCopy, ...copy])
} else {
  emit({ ...mvFill.row, ns: once(mvFill.fn, n) })
  emit({ ...mvCopy.row, ns: once(mvCopy.fn, n) })
  compare(fill)
  compare(copy)
}
expectAll('memview fill', ta, 1)
expectAll('memview copy', tb, 1)
