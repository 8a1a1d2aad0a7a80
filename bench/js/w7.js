'use strict'
// W7: summing a double** of 1000 rows x 1000: memview's view over an array of Float64Array rows
// (an indirect first axis) read with v.get(i, j), against rows[i][j] over the same array, and the
// native ops.sum(v) (the C peer is a row-pointer loop over separately malloc'd rows).
const { compare, emit, loadOps } = require('./harness')
const mv = require('../../dist')

const ops = loadOps(mv)
const N = 1000
const rows = []
let expect = 0
for (let i = 0; i < N; i++) {
  const r = new Float64Array(N)
  for (let j = 0; j < N; j++) expect += r[j] = ((i * N + j) & 7) + 0.5 // non-integral, as real data
  rows.push(r)
}
const v = mv.view(rows)

function sumGet(v) {
  const I = v.shape[0]
  const J = v.shape[1]
  let s = 0
  for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) s += v.get(i, j)
  return s
}

function sumRows(rows) {
  const I = rows.length
  let s = 0
  for (let i = 0; i < I; i++) {
    const r = rows[i]
    const J = r.length
    for (let j = 0; j < J; j++) s += r[j]
  }
  return s
}

// The same loop without hoisting the row: rows[i][j] in the inner loop.
function sumRowsIJ(rows) {
  const I = rows.length
  const J = rows[0].length
  let s = 0
  for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) s += rows[i][j]
  return s
}

if (sumGet(v) !== expect || sumRows(rows) !== expect || sumRowsIJ(rows) !== expect) throw new Error('W7: wrong sum')
const size = '1000x1000'
const entries = [{ row: { w: 'W7', size, impl: 'memview', variant: 'JS loop v.get(i, j) over view(rows)', key: 'get' }, fn: () => sumGet(v), elems: N * N }]
if (ops) {
  if (Number(ops.sum(v)) !== expect) throw new Error('W7: ops.sum is wrong')
  entries.push({ row: { w: 'W7', size, impl: 'memview', variant: 'ops.sum(v) (native)', key: 'ops' }, fn: () => ops.sum(v), elems: N * N })
} else {
  emit({ w: 'W7', size, impl: 'memview', variant: 'ops.sum(v) (native)', key: 'ops', ns: null, note: 'n/a (ops not built)' })
}
entries.push({ row: { w: 'W7', size, impl: 'JS', variant: 'loop rows[i][j]' }, fn: () => sumRowsIJ(rows), elems: N * N })
entries.push({ row: { w: 'W7', size, impl: 'JS', variant: 'loop r = rows[i]; r[j]' }, fn: () => sumRows(rows), elems: N * N })
compare(entries)
