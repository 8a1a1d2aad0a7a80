'use strict'
// W1 sum3d over 40^3 and 200^3 int32 (contiguous) and W1b the same through a.T.
const { compare, emit, loadOps } = require('./harness')
const mv = require('../../dist')
const ndarray = require('ndarray')
const nops = require('ndarray-ops')

const ops = loadOps(mv)

// The Cython guide's sum3d, written against memview.
function sum3d(arr) {
  const I = arr.shape[0]
  const J = arr.shape[1]
  const K = arr.shape[2]
  let total = 0
  for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) for (let k = 0; k < K; k++) total += arr.get(i, j, k)
  return total
}

// Plain TypedArray triple loop with the index arithmetic written out (strides in elements).
function sum3dRaw(a, off, n0, n1, n2, s0, s1, s2) {
  let total = 0
  for (let i = 0; i < n0; i++)
    for (let j = 0; j < n1; j++) {
      const b = off + i * s0 + j * s1
      for (let k = 0; k < n2; k++) total += a[b + k * s2]
    }
  return total
}

for (const n of [40, 200]) {
  const size = `${n}x${n}x${n}`
  const el = n * n * n
  const a = new Int32Array(el)
  for (let i = 0; i < el; i++) a[i] = i % 7
  let expect = 0
  for (let i = 0; i < el; i++) expect += a[i]
  const v = mv.view('int[:, :, :]', a, { shape: [n, n, n] })
  const vt = v.T
  const nd = ndarray(a, [n, n, n])
  const ndt = nd.transpose(2, 1, 0)
  const check = (what, x) => {
    if (Number(x) !== expect) throw new Error(`${what}: got ${x}, expected ${expect}`)
  }

  for (const [w, view, nda, s] of [
    ['W1', v, nd, [n * n, n, 1]],
    ['W1b', vt, ndt, [1, n, n * n]],
  ]) {
    check(`${w} sum3d`, sum3d(view))
    check(`${w} raw`, sum3dRaw(a, 0, n, n, n, s[0], s[1], s[2]))
    check(`${w} scijs`, nops.sum(nda))
    const entries = [{ row: { w, size, impl: 'memview', variant: 'JS loop v.get(i, j, k)', key: 'get' }, fn: () => sum3d(view), elems: el }]
    if (ops) {
      check(`${w} ops.sum`, ops.sum(view))
      entries.push({ row: { w, size, impl: 'memview', variant: 'ops.sum(v) (native)', key: 'ops' }, fn: () => ops.sum(view), elems: el })
    } else {
      emit({ w, size, impl: 'memview', variant: 'ops.sum(v) (native)', key: 'ops', ns: null, note: 'n/a (ops not built)' })
    }
    entries.push({ row: { w, size, impl: 'JS', variant: 'triple loop, stride math' }, fn: () => sum3dRaw(a, 0, n, n, n, s[0], s[1], s[2]), elems: el })
    entries.push({ row: { w, size, impl: 'scijs', variant: w === 'W1' ? 'ops.sum(a)' : 'ops.sum(a.transpose(2, 1, 0))' }, fn: () => nops.sum(nda), elems: el })
    compare(entries)
  }
}
