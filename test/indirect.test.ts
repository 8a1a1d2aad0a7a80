// Indirect memory: rows of TypedArrays (T**), C pointer tables (double**, int***), PIL-style
// suboffsets; reads and writes seen by C; free functions run once after the last view.
import { describe, expect, it } from 'vitest'
import koffi from 'koffi'

import { type MemoryView, addressOf, fromPointer, view } from '../lib/index'
import { CLIB } from './global-setup'
import { codeOf, collectUntil, settle } from './helpers'

const lib = koffi.load(CLIB)
const c = {
  frees: lib.func('int64_t mvt_frees(void)'),
  table: lib.func('void *mvt_double_table(int, int)'),
  tableGet: lib.func('double mvt_table_get(void *, int, int)'),
  tableSum: lib.func('double mvt_table_sum(void *, int, int)'),
  freeTableFn: lib.func('uintptr_t mvt_free_table_fn(void)'),
  int3: lib.func('void *mvt_int3(int, int, int)'),
  int3Get: lib.func('int mvt_int3_get(void *, int, int, int)'),
  freeInt3Fn: lib.func('uintptr_t mvt_free_int3_fn(void)'),
  tableWithNull: lib.func('void *mvt_table_with_null(int, int)'),
  freeTable: lib.func('void mvt_free_double_table(void *)'),
  flatGet: lib.func('int32_t mvt_flat_get(void *, int)'),
  flat: lib.func('void *mvt_flat(int)'),
  freeFlatFn: lib.func('uintptr_t mvt_free_flat_fn(void)'),
}
const addr = (p: unknown): bigint => BigInt(koffi.address(p as never) as bigint)
const frees = (): number => Number(c.frees())

describe('rows of TypedArrays: a T** view', () => {
  const rows = [new Float64Array([0, 1, 2]), new Float64Array([10, 11, 12]), new Float64Array([20, 21, 22])]
  const v = view<number>('double[::view.indirect, ::1]', rows)

  it('has a pointer table geometry and reads the rows zero-copy', () => {
    expect(v.shape).toEqual([3, 3])
    expect(v.strides).toEqual([8, 8])
    expect(v.suboffsets).toEqual([0, -1])
    expect(v.base).toBe(rows)
    expect(v.get(2, 1)).toBe(21)
    v.set(1, 2, 99)
    expect(rows[1][2]).toBe(99)
    rows[0][0] = -5
    expect(v.get(0, 0)).toBe(-5)
    expect(v.tolist()).toEqual([[-5, 1, 2], [10, 11, 99], [20, 21, 22]])
  })

  it('slices and integer-indexes the indirect axis', () => {
    const s = v.at('::-2, 1:') as MemoryView<number>
    expect(s.shape).toEqual([2, 2])
    expect(s.suboffsets).toEqual([8, -1])
    expect(s.tolist()).toEqual([[21, 22], [1, 2]])
    const row = v.at('1') as MemoryView<number>
    expect(row.suboffsets).toEqual([-1])
    expect(row.tolist()).toEqual([10, 11, 99])
    expect(v.at(2, -1)).toBe(22)
    expect(v.at('1:, 0, None') instanceof Object).toBe(true)
  })

  it('refuses .T, copies to direct memory, assigns both ways', () => {
    expect(() => v.T).toThrow('Cannot transpose memoryview with indirect dimensions')
    const cp = v.copy()
    expect(cp.suboffsets).toEqual([-1, -1])
    expect(cp.isCContiguous).toBe(true)
    expect(cp.tolist()).toEqual(v.tolist())
    expect(v.copyFortran().isFContiguous).toBe(true)
    const other = [new Float64Array(3), new Float64Array(3), new Float64Array(3)]
    const w = view<number>(other)
    w.assign(cp)
    expect(other[2][1]).toBe(21)
    w.assign(v.at('::-1') as MemoryView)
    expect(other[0][0]).toBe(20)
    cp.assign(w)
    expect(cp.get(0, 0)).toBe(20)
  })

  it('ragged, mixed and empty rows are coded errors; the declaration checks access', () => {
    expect(codeOf(() => view([new Float64Array(2), new Float64Array(3)]))).toBe('ERR_MEMVIEW_SOURCE')
    expect(codeOf(() => view([new Float64Array(2), new Float32Array(2)]))).toBe('ERR_MEMVIEW_SOURCE')
    expect(codeOf(() => view([new Float64Array(2), 'x']))).toBe('ERR_MEMVIEW_SOURCE')
    expect(codeOf(() => view([]))).toBe('ERR_MEMVIEW_SOURCE')
    expect(() => view('double[:, ::1]', rows)).toThrow('Buffer not compatible with direct access in dimension 0.')
    expect(() => view('double[::view.indirect, :]', new Float64Array(4), { shape: [2, 2] })).toThrow('Buffer is not indirectly accessible in dimension 0.')
    expect(view('double[::view.generic, :]', rows).get(0, 1)).toBe(1)
    expect(codeOf(() => view('float[::view.indirect, ::1]', rows))).toBe('ERR_MEMVIEW_DTYPE')
  })

  it('slices read and write the right rows, whichever way their rows are found', () => {
    // Rows with their own byte offsets in one buffer, and Buffer rows (a TypedArray subclass).
    const backing = new Int16Array(64)
    const made = [3, 17, 31, 45].map((o) => backing.subarray(o, o + 5))
    const bufs = [0, 1, 2, 3].map(() => Buffer.alloc(5))
    for (const rs of [made, bufs] as unknown as number[][][]) {
      rs.forEach((r, i) => r.forEach((_, j) => (r[j] = 10 * i + j)))
      const model = rs.map((r) => Array.from(r))
      const w = view<number>(rs as never)
      for (const expr of [':', '::-1', '1:', '::2', '-1:0:-2', '1:3, 2:', '::-1, ::-2', ':, 4:']) {
        const sl = w.at(expr) as MemoryView<number>
        const [ri, ci] = expr.split(',').map((p) => p.trim())
        const pick = <T>(xs: T[], spec: string | undefined): T[] => {
          if (spec === undefined || spec === ':') return xs
          const [a, b, st] = spec.split(':').map((x) => (x === '' ? undefined : Number(x)))
          const step = st ?? 1
          const n = xs.length
          const norm = (x: number | undefined, d: number) => (x === undefined ? d : x < 0 ? Math.max(x + n, step < 0 ? -1 : 0) : Math.min(x, step < 0 ? n - 1 : n))
          const out: T[] = []
          const start = norm(a, step < 0 ? n - 1 : 0)
          const stop = norm(b, step < 0 ? -1 : n)
          for (let k = start; step > 0 ? k < stop : k > stop; k += step) out.push(xs[k])
          return out
        }
        const want = pick(model, ri).map((r) => pick(r, ci))
        const got = want.map((r, i) => r.map((_, j) => sl.get(i, j)))
        expect(got, `${expr}`).toEqual(want)
        if (want.length > 0 && want[0].length > 0) {
          sl.set(0, 0, 99)
          expect(sl.get(0, 0)).toBe(99)
          sl.set(0, 0, want[0][0])
        }
      }
    }
  })

  it('a detached row is detected, never read', () => {
    const r = [new Int32Array([1, 2]), new Int32Array([3, 4])]
    const w = view<number>(r)
    structuredClone(r[1].buffer, { transfer: [r[1].buffer] })
    expect(w.get(0, 1)).toBe(2)
    expect(codeOf(() => w.get(1, 0))).toBe('ERR_MEMVIEW_DETACHED')
    expect(codeOf(() => w.tolist())).toBe('ERR_MEMVIEW_DETACHED')
  })
})

describe('koffi interop', () => {
  it("C reads a view's memory through addressOf, and a C-returned pointer becomes a view", async () => {
    const v = view<number>('int[:]', new Int32Array([5, 6, 7, 8]))
    expect(c.flatGet(addressOf(v.at('1:') as MemoryView), 1)).toBe(7)
    const before = frees()
    ;(() => {
      const p = c.flat(6) // koffi returns the pointer as a bigint
      const w = fromPointer(p as bigint, 'int32_t[:6]', { free: BigInt(c.freeFlatFn()) }) as MemoryView<number>
      expect(w.tolist()).toEqual([0, 1, 2, 3, 4, 5])
      w.set(5, 50)
      expect(c.flatGet(p, 5)).toBe(50)
    })()
    expect(await collectUntil(() => frees() >= before + 1)).toBe(true)
  })
})

describe('pointer tables from a C library', () => {
  it("double**: reads and writes are seen by C; the library's free runs once after the last view", async () => {
    const before = frees()
    let slice: MemoryView<number> | null = (() => {
      const t = c.table(4, 5)
      const v = fromPointer(addr(t), 'double[::view.indirect, ::1]', { shape: [4, 5], free: BigInt(c.freeTableFn()) }) as MemoryView<number>
      expect(v.get(3, 4)).toBe(3004)
      v.set(2, 1, -1)
      expect(c.tableGet(t, 2, 1)).toBe(-1)
      expect(v.at('1:3, ::2') instanceof Object).toBe(true)
      const cp = v.copy()
      expect(c.tableSum(t, 4, 5)).toBe((cp.tolist() as number[][]).flat().reduce((a, b) => a + b, 0))
      return v.at('2:, 1:') as MemoryView<number>
    })()
    await settle()
    expect(frees()).toBe(before)
    expect(slice.get(0, 0)).toBe(-1)
    slice = null
    expect(await collectUntil(() => frees() >= before + 1)).toBe(true)
    await settle(5)
    expect(frees()).toBe(before + 1)
  })

  it('int***: any depth of pointer tables', async () => {
    const before = frees()
    ;(() => {
      const t = c.int3(3, 4, 5)
      const v = fromPointer(addr(t), 'int[::view.indirect, ::view.indirect, ::1]', { shape: [3, 4, 5], free: BigInt(c.freeInt3Fn()) }) as MemoryView<number>
      expect(v.strides).toEqual([8, 8, 4])
      expect(v.suboffsets).toEqual([0, 0, -1])
      expect(v.get(2, 3, 4)).toBe(20304)
      v.set(1, 2, 3, 7)
      expect(c.int3Get(t, 1, 2, 3)).toBe(7)
      const s = v.at('-2:, ..., -3:100:2') as MemoryView<number>
      expect(s.shape).toEqual([2, 4, 2])
      expect(s.get(1, 3, 1)).toBe(20304)
      expect(v.copy().get(1, 2, 3)).toBe(7)
    })()
    expect(await collectUntil(() => frees() >= before + 1)).toBe(true)
  })

  it('a NULL entry is a coded error when the view is made', () => {
    const t = c.tableWithNull(3, 2)
    expect(() => fromPointer(addr(t), 'double[::view.indirect, ::1]', { shape: [3, 2] })).toThrow(/NULL pointer in an indirect dimension/)
    expect(codeOf(() => fromPointer(addr(t), 'double[::view.indirect, ::1]', { shape: [3, 2] }))).toBe('ERR_MEMVIEW_SOURCE')
    c.freeTable(t)
  })

  it('PIL-style suboffsets shift within each pointed-to row', () => {
    const t = c.table(3, 6)
    const v = fromPointer(addr(t), 'double[::view.indirect, ::1]', { shape: [3, 4], suboffsets: [16, -1] }) as MemoryView<number>
    expect(v.get(0, 0)).toBe(2)
    expect(v.get(2, 3)).toBe(2005)
    expect(v.tolist()).toEqual([[2, 3, 4, 5], [1002, 1003, 1004, 1005], [2002, 2003, 2004, 2005]])
    c.freeTable(t)
  })
})
