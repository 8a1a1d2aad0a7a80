'use strict'
// W2: summing a 1000x1000 float64 view element by element with v.get(i, j), against the same loop
// over the raw Float64Array with hand-written index arithmetic. memview's get() includes its
// detach check (the element read is tested against undefined), so the ratio is also the cost of
// that check on the hot path. scijs's x.get(i, j) is the same style of accessor, for context.
const { compare } = require('./harness')
const mv = require('../../dist')
const ndarray = require('ndarray')

const N = 1000
const a = new Float64Array(N * N)
for (let i = 0; i < a.length; i++) a[i] = (i & 7) + 0.5 // non-integral: results cannot ride on Smis
let expect = 0
for (let i = 0; i < a.length; i++) expect += a[i]

const v = mv.view('double[:, :]', a, { shape: [N, N] })
const nd = ndarray(a, [N, N])

function sumGet(v) {
  const I = v.shape[0]
  const J = v.shape[1]
  let s = 0
  for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) s += v.get(i, j)
  return s
}

function sumRaw(a, I, J) {
  let s = 0
  for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) s += a[i * 1000 + j]
  return s
}

function sumScijs(x) {
  const I = x.shape[0]
  const J = x.shape[1]
  let s = 0
  for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) s += x.get(i, j)
  return s
}

for (const [name, f] of [['get', () => sumGet(v)], ['raw', () => sumRaw(a, N, N)], ['scijs', () => sumScijs(nd)]])
  if (f() !== expect) throw new Error(`W2 ${name}: wrong sum`)

const size = '1000x1000'
compare([
  { row: { w: 'W2', size, impl: 'memview', variant: 'JS loop v.get(i, j)', key: 'get' }, fn: () => sumGet(v), elems: N * N },
  { row: { w: 'W2', size, impl: 'JS', variant: 'loop a[i*1000 + j]' }, fn: () => sumRaw(a, N, N), elems: N * N },
  { row: { w: 'W2', size, impl: 'scijs', variant: 'JS loop x.get(i, j)' }, fn: () => sumScijs(nd), elems: N * N },
])
