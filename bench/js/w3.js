'use strict'
// W3: transposed copy dst[...] = src.T of a 2000x2000 float64 array.
const { compare, once, emit, loadOps } = require('./harness')
const mv = require('../../dist')
const ndarray = require('ndarray')
const nops = require('ndarray-ops')

const ops = loadOps(mv)
const N = 2000
const el = N * N
const src = mv.array({ shape: [N, N], format: 'd' }).memview
const dst = mv.array({ shape: [N, N], format: 'd' }).memview
const sa = src.asTypedArray()
const da = dst.asTypedArray()
for (let i = 0; i < el; i++) sa[i] = i

function verify(what, d) {
  for (const [i, j] of [[0, 1], [5, 7], [1999, 3], [17, 1998]])
    if (d[i * N + j] !== sa[j * N + i]) throw new Error(`W3 ${what}: wrong element [${i}, ${j}]`)
  d.fill(0)
}

function blocked(d, s, n) {
  for (let ib = 0; ib < n; ib += 32)
    for (let jb = 0; jb < n; jb += 32) {
      const ie = Math.min(ib + 32, n)
      const je = Math.min(jb + 32, n)
      for (let i = ib; i < ie; i++) for (let j = jb; j < je; j++) d[i * n + j] = s[j * n + i]
    }
  return d[1]
}

const size = '2000x2000'
const srcT = src.T
const ns = ndarray(sa, [N, N])
const nd = ndarray(da, [N, N])
const nsT = ns.transpose(1, 0)
dst.assign(srcT)
verify('memview', da)
blocked(da, sa, N)
verify('JS', da)
nops.assign(nd, nsT)
verify('scijs', da)
const peers = [
  { row: { w: 'W3', size, impl: 'JS', variant: '32x32 blocked' }, fn: () => blocked(da, sa, N), elems: el },
  { row: { w: 'W3', size, impl: 'scijs', variant: 'ops.assign(dst, a.transpose(1, 0))' }, fn: () => nops.assign(nd, nsT), elems: el },
]
const mine = { w: 'W3', size, impl: 'memview', key: 'assign' }
if (ops) {
  compare([{ row: { ...mine, variant: 'dst.assign(src.T) (native)' }, fn: () => void dst.assign(srcT), elems: el }, ...peers])
} else {
  // The JS fallback walks every element through generic locations: seconds per call, so one run.
  emit({ ...mine, variant: 'dst.assign(src.T) (JS fallback, 1 run)', note: 'ops not built', ns: once(() => void dst.assign(srcT), el) })
  compare(peers)
}
dst.assign(srcT)
verify('memview', da)
