// A view over an ArrayBuffer that is later transferred, or over a resizable ArrayBuffer that
// shrinks, never reads freed or out-of-range memory: every access path throws ERR_MEMVIEW_DETACHED.
import { describe, expect, it } from 'vitest'

import { type MemoryView, PyBUF, getBuffer, ops, view } from '../lib/index'
import { codeOf } from './helpers'

type Case = [string, (v: MemoryView<number>) => unknown]

const PATHS: Case[] = [
  ['get (specialised)', (v) => v.get(1, 0)],
  ['set (specialised)', (v) => v.set(1, 1, 5)],
  ['get (generic, wrong arity)', (v) => (v.get as (...a: number[]) => unknown)(0, 0, 0)],
  ['at (element)', (v) => v.at(1, 1)],
  ['at (slice)', (v) => v.at('1:, ::-1')],
  ['T', (v) => v.T],
  ['tolist', (v) => v.tolist()],
  ['tobytes', (v) => v.tobytes()],
  ['copy', (v) => v.copy()],
  ['fill (native)', (v) => v.fill(1)],
  ['assign (native)', (v) => v.assign(view(new Float64Array(4), { shape: [2, 2] }))],
  ['asTypedArray', (v) => v.asTypedArray()],
  ['toTypedArray', (v) => v.toTypedArray()],
  ['ops.sum (kernel)', (v) => ops.sum(v)],
  ['ops.add (kernel)', (v) => ops.add(v, 1)],
  ['getBuffer', (v) => getBuffer(v, PyBUF.FULL_RO)],
  ['iteration', (v) => [...v]],
  ['view() of it', (v) => view('double[:, :]', v)],
]

function transferred(): MemoryView<number> {
  const ab = new ArrayBuffer(8 * 4)
  const v = view<number>('double[:, ::1]', ab, { shape: [2, 2] })
  v.get(0, 0) // the fast path is set up before the detach
  structuredClone(ab, { transfer: [ab] })
  return v
}

function shrunk(): MemoryView<number> {
  const ab = new ArrayBuffer(8 * 4, { maxByteLength: 64 })
  const v = view<number>('double[:, ::1]', ab, { shape: [2, 2] })
  v.get(1, 1)
  ;(ab as ArrayBuffer & { resize(n: number): void }).resize(16)
  return v
}

describe('detached and shrunk buffers', () => {
  for (const [name, use] of PATHS) {
    it(`transferred ArrayBuffer: ${name}`, () => {
      expect(codeOf(() => use(transferred()))).toBe('ERR_MEMVIEW_DETACHED')
    })
    it(`shrunk resizable ArrayBuffer: ${name}`, () => {
      expect(codeOf(() => use(shrunk()))).toBe('ERR_MEMVIEW_DETACHED')
    })
  }

  it('a view whose elements are still inside a shrunk buffer keeps working', () => {
    const ab = new ArrayBuffer(8 * 4, { maxByteLength: 64 })
    const v = view<number>('double[:, ::1]', ab, { shape: [2, 2] })
    const first = v.at('0') as MemoryView<number>
    first.set(1, 2.5)
    ;(ab as ArrayBuffer & { resize(n: number): void }).resize(16)
    expect(first.get(1)).toBe(2.5)
    expect(codeOf(() => v.get(1, 0))).toBe('ERR_MEMVIEW_DETACHED')
  })

  it('async kernels refuse detachable memory up front', async () => {
    await expect(ops.sumAsync(view(new Float64Array(4)))).rejects.toMatchObject({ code: 'ERR_MEMVIEW_UNSUPPORTED' })
  })
})
