// Every row of the conversion catalogue, proven: write through one side, read through the other.
// Zero-copy rows must see the write; copying rows must not.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { BUFFER, type MemoryView, PyBUF, addressOf, array, conversions, fromPointer, getBuffer, ops, view } from '../lib/index'
import { native } from '../lib/native'

type Proof = () => { sawWrite: boolean }

const TA: Record<string, new (n: number) => ArrayBufferView & ArrayLike<unknown> & { [i: number]: unknown }> = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array,
  BigInt64Array: BigInt64Array as never, BigUint64Array: BigUint64Array as never,
}
const one = (ta: unknown) => (ta instanceof BigInt64Array || ta instanceof BigUint64Array ? 1n : 1)

/** Writes `x` through the memory of `v` at element 0 (via a fresh view of the same source). */
const proofs: Record<string, Proof> = {
  arraybuffer: () => {
    const ab = new ArrayBuffer(8)
    const v = view<number>('int[:]', ab)
    new Int32Array(ab)[0] = 7
    v.set(1, 9)
    return { sawWrite: v.get(0) === 7 && new Int32Array(ab)[1] === 9 }
  },
  sharedarraybuffer: () => {
    const sab = new SharedArrayBuffer(8)
    const v = view<number>('int[:]', sab)
    Atomics.store(new Int32Array(sab), 0, 7)
    return { sawWrite: v.get(0) === 7 }
  },
  ...Object.fromEntries(
    Object.entries(TA).map(([name, Ctor]): [string, Proof] => [
      `typedarray:${name}`,
      () => {
        const ta = new Ctor(4)
        const v = view(ta)
        ta[2] = one(ta)
        v.set(3, one(ta) as never)
        return { sawWrite: v.get(2) === one(ta) && ta[3] === one(ta) }
      },
    ]),
  ),
  buffer: () => {
    const b = Buffer.from('abc')
    const v = view<number>(b)
    b[1] = 120
    return { sawWrite: v.get(1) === 120 }
  },
  dataview: () => {
    const dv = new DataView(new ArrayBuffer(16), 8)
    const v = view<number>('double[:]', dv)
    dv.setFloat64(0, 2.5, true)
    return { sawWrite: v.get(0) === 2.5 }
  },
  rows: () => {
    const rows = [new Float64Array(2), new Float64Array(2)]
    const v = view<number>(rows)
    rows[1][1] = 4
    v.set(0, 0, 3)
    return { sawWrite: v.get(1, 1) === 4 && rows[0][0] === 3 }
  },
  cyarray: () => {
    const a = array({ shape: [2], format: 'i' })
    const v = view<number>('int[:]', a)
    a.memview.set(1, 5)
    return { sawWrite: v.get(1) === 5 }
  },
  exporter: () => {
    const backing = view<number>(new Int32Array(2))
    const v = view<number>({ [BUFFER]: () => backing })
    backing.set(0, 6)
    return { sawWrite: v.get(0) === 6 }
  },
  pointer: () => {
    const p = native.testing.malloc(8)
    const v = fromPointer(p, 'int[:2]') as MemoryView<number>
    fromPointer(p, 'int[:2]').set(1, 8)
    return { sawWrite: v.get(1) === 8 }
  },
  'pointer-indirect': () => {
    const rows = [new Float64Array(2), new Float64Array(2)]
    const table = new BigUint64Array(rows.map((r) => native.addressOf(r)))
    const v = fromPointer(native.addressOf(table), 'double[::view.indirect, ::1]', { shape: [2, 2] }) as MemoryView<number>
    rows[1][0] = 9
    v.set(0, 1, 2)
    return { sawWrite: v.get(1, 0) === 9 && rows[0][1] === 2 }
  },
  'array-data': () => {
    const p = native.testing.malloc(8)
    const a = array({ shape: [2], format: 'i', allocate: false, data: p })
    fromPointer(p, 'int[:2]').set(0, 4)
    return { sawWrite: a.memview.get(0) === 4 }
  },
  slice: () => {
    const v = view<number>(new Int32Array(6), { shape: [2, 3] })
    const s = v.at('1:, ::2') as MemoryView<number>
    v.set(1, 2, 5)
    return { sawWrite: s.get(0, 1) === 5 }
  },
  transpose: () => {
    const v = view<number>(new Int32Array(6), { shape: [2, 3] })
    v.set(0, 2, 5)
    return { sawWrite: v.T.get(2, 0) === 5 }
  },
  cast: () => {
    const v = view<number>(new Int32Array(2))
    const bytes = (v as unknown as { cast(f: string): MemoryView<number> }).cast('B')
    v.set(0, 258)
    return { sawWrite: bytes.get(0) === 2 && bytes.get(1) === 1 }
  },
  asTypedArray: () => {
    const v = view<number>(new Float64Array(2))
    const ta = v.asTypedArray()
    v.set(0, 1.5)
    return { sawWrite: ta[0] === 1.5 }
  },
  toTypedArray: () => {
    const v = view<number>(new Float64Array(2))
    const ta = v.toTypedArray()
    v.set(0, 1.5)
    return { sawWrite: ta[0] === 1.5 }
  },
  tobytes: () => {
    const v = view<number>(new Uint8Array(2))
    const b = v.tobytes()
    v.set(0, 1)
    return { sawWrite: b[0] === 1 }
  },
  tolist: () => {
    const v = view<number>(new Int32Array(2))
    const l = v.tolist() as number[]
    v.set(0, 1)
    return { sawWrite: l[0] === 1 }
  },
  copy: () => {
    const v = view<number>(new Int32Array(2))
    const c = v.copy()
    v.set(0, 1)
    return { sawWrite: c.get(0) === 1 }
  },
  copyFortran: () => {
    const v = view<number>(new Int32Array(4), { shape: [2, 2] })
    const c = v.copyFortran()
    v.set(0, 1, 1)
    return { sawWrite: c.get(0, 1) === 1 }
  },
  'ops-cast': () => {
    const v = view<number>(new Int32Array(2))
    const c = ops.cast(v, 'd') as MemoryView<number>
    v.set(0, 1)
    return { sawWrite: c.get(0) === 1 }
  },
  share: () => {
    const sab = new SharedArrayBuffer(8)
    const v = view<number>('int[:]', sab)
    const w = view<number>(v.share())
    v.set(0, 3)
    return { sawWrite: w.get(0) === 3 }
  },
  getBuffer: () => {
    const v = view<number>(new Int32Array(2))
    const info = getBuffer(v, PyBUF.FULL_RO)
    v.set(1, 4)
    const saw = (info.buf as MemoryView<number>).get(1) === 4
    info.release()
    return { sawWrite: saw }
  },
  addressOf: () => {
    const v = view<number>(new Int32Array(2))
    const alias = fromPointer(addressOf(v), 'int[:2]') as MemoryView<number>
    v.set(1, 6)
    return { sawWrite: alias.get(1) === 6 }
  },
}

// The C ABI rows are proven by the consumer addon's tests (test/capi.test.ts), named here.
const provenElsewhere: Record<string, string> = { 'c-new-view': 'test/capi.test.ts', 'c-get-buffer': 'test/capi.test.ts' }

describe('the conversion catalogue', () => {
  for (const c of conversions) {
    it(`${c.call} (${c.from} -> ${c.to}) ${c.copies ? 'copies' : 'is zero-copy'}`, () => {
      if (c.id in provenElsewhere) {
        const src = readFileSync(join(__dirname, '..', provenElsewhere[c.id]), 'utf8')
        expect(src).toContain(`conversion:${c.id}`)
        return
      }
      const proof = proofs[c.id]
      expect(proof, `no proof for catalogue row ${c.id}`).toBeTypeOf('function')
      expect(proof().sawWrite).toBe(!c.copies)
    })
  }

  it('follows the naming rule: as* never copies; to*, copy*, tolist, tobytes always do', () => {
    for (const c of conversions) {
      const name = /(?:^|\.)(as\w+|to\w+|copy\w*|tolist|tobytes)\(/.exec(c.call)?.[1]
      if (name === undefined) continue
      expect(c.copies, c.call).toBe(!name.startsWith('as'))
    }
  })

  it('the README table is generated from the catalogue (npm run docs)', () => {
    execFileSync(process.execPath, [join(__dirname, '../scripts/gen-readme.js'), '--check'])
  })
})
