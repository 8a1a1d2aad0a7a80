'use strict'
// The cost of a typed() call with two 2-D arguments against calling view() twice by hand, and
// against calling the bare function (ns per call). Arguments: 2-D int32 views over Int32Arrays,
// and raw Int32Arrays with a shape (the by-hand form needs the options; typed() cannot pass them,
// so that row uses CyArrays, which carry their shape).
const { measure, emit } = require('./harness')
const mv = require('../../dist')

const A = mv.view(new Int32Array(64 * 64), { shape: [64, 64] })
const B = mv.view(new Int32Array(64 * 64), { shape: [64, 64] })
const CA = mv.array({ shape: [64, 64], format: 'i' })
const CB = mv.array({ shape: [64, 64], format: 'i' })

const body = (a, b) => a.shape[0] + b.shape[1]
const f = mv.typed(['int[:, :] a', 'int[:, :] b'], body)
const byHand = (a, b) => body(mv.view('int[:, :]', a), mv.view('int[:, :]', b))
const K = 2000
const loop = (fn, x, y) => () => {
  let acc = 0
  for (let k = 0; k < K; k++) acc += fn(x, y)
  return acc
}
if (f(A, B) !== 128 || byHand(A, B) !== 128 || f(CA, CB) !== 128 || byHand(CA, CB) !== 128) throw new Error('typed: wrong result')
const base = { w: 'typed', size: '2 x int[:, :]', unit: 'ns/call' }
emit({ ...base, impl: 'memview', variant: "typed(['int[:, :] a', 'int[:, :] b'], fn)(viewA, viewB)", key: 'typed', ns: measure(loop(f, A, B), K) })
emit({ ...base, impl: 'memview', variant: "fn(view('int[:, :]', viewA), view('int[:, :]', viewB))", key: 'hand', ns: measure(loop(byHand, A, B), K) })
emit({ ...base, impl: 'memview', variant: 'typed(...)(cyArrayA, cyArrayB)', key: 'typedCy', ns: measure(loop(f, CA, CB), K) })
emit({ ...base, impl: 'memview', variant: "fn(view('int[:, :]', cyArrayA), view(..., cyArrayB))", key: 'handCy', ns: measure(loop(byHand, CA, CB), K) })
emit({ ...base, impl: 'JS', variant: 'fn(viewA, viewB) (no conversion)', ns: measure(loop(body, A, B), K) })
