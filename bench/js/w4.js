'use strict'
// W4: making a slice view of a 1000x1000 view, ns per slice: the string form v.at('1:102:2, :')
// and the programmatic v.at(slice(1, 102, 2), slice()); scijs a.lo(1).hi(101).step(2); and a
// plain JS descriptor {offset, shape, strides} computed by hand (the floor for any JS view object).
const { compare } = require('./harness')
const mv = require('../../dist')
const ndarray = require('ndarray')

const N = 1000
const K = 10000 // slices per timed call
const a = new Float64Array(N * N)
const v = mv.view('double[:, :]', a, { shape: [N, N] })
const nd = ndarray(a, [N, N])
const { slice } = mv
// Every slice is stored (a ring of 64) so that no variant's object can be optimized away.
const keep = new Array(64).fill(null)

function check(s) {
  if (s.shape[0] !== 51 || s.shape[1] !== N) throw new Error(`W4: wrong slice shape ${s.shape}`)
}
check(v.at('1:102:2, :'))
check(v.at(slice(1, 102, 2), slice()))
check(nd.lo(1).hi(101).step(2))

function atString() {
  let acc = 0
  for (let k = 0; k < K; k++) acc += (keep[k & 63] = v.at('1:102:2, :')).shape[0]
  return acc
}
function atProgrammatic() {
  let acc = 0
  for (let k = 0; k < K; k++) acc += (keep[k & 63] = v.at(slice(1, 102, 2), slice())).shape[0]
  return acc
}
function scijs() {
  let acc = 0
  for (let k = 0; k < K; k++) acc += (keep[k & 63] = nd.lo(1).hi(101).step(2)).shape[0]
  return acc
}
// The descriptor by hand: start, stop, step on axis 0 (clamped as Python does), axis 1 whole.
function rawSlice(base, start, stop, step) {
  const n0 = base.shape[0]
  const lo = Math.min(Math.max(start, 0), n0)
  const hi = Math.min(Math.max(stop, 0), n0)
  const len = hi > lo ? Math.ceil((hi - lo) / step) : 0
  return { data: base.data, offset: base.offset + lo * base.strides[0], shape: [len, base.shape[1]], strides: [base.strides[0] * step, base.strides[1]] }
}
const rawBase = { data: a, offset: 0, shape: [N, N], strides: [N, 1] }
check(rawSlice(rawBase, 1, 102, 2))
function raw() {
  let acc = 0
  for (let k = 0; k < K; k++) acc += (keep[k & 63] = rawSlice(rawBase, 1, 102, 2)).shape[0]
  return acc
}

const size = '1000x1000'
const u = 'ns/slice'
compare([
  { row: { w: 'W4', size, impl: 'memview', variant: "v.at('1:102:2, :')", key: 'str', unit: u }, fn: atString, elems: K },
  { row: { w: 'W4', size, impl: 'memview', variant: 'v.at(slice(1, 102, 2), slice())', key: 'prog', unit: u }, fn: atProgrammatic, elems: K },
  { row: { w: 'W4', size, impl: 'JS', variant: 'object {offset, shape[], strides[]}', unit: u }, fn: raw, elems: K },
  { row: { w: 'W4', size, impl: 'scijs', variant: 'a.lo(1).hi(101).step(2)', unit: u }, fn: scijs, elems: K },
])
