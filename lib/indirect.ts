// Indirect memory: pointer tables. Rows of TypedArrays become a T** view (zero-copy: the table of
// row addresses is built once and kept by the view), and fromPointer follows a C library's
// tables (double**, int***) through aliasing windows, one per pointed-to block, made once.
import { type Acquired, sourceKinds } from './acquire'
import type { Declaration } from './declaration'
import { fail } from './errors'
import { type DType, type TypedArray, dtypeOf, formatOfTypedArray } from './format'
import { Memory, memoryOfBuffer, memoryOfOwner } from './memory'
import { type OwnerHandle, native } from './native'

const PTR = 8
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** Address ranges of known memory, for mapping a pointer back to the Memory it points into. */
class Regions {
  private starts: bigint[] = []
  private ends: bigint[] = []
  private targets: { memory: Memory; offset: number }[] = []

  add(start: bigint, length: number, memory: Memory, offset: number): void {
    this.starts.push(start)
    this.ends.push(start + BigInt(length))
    this.targets.push({ memory, offset })
  }

  /** Sorts once after every add(). */
  seal(): void {
    const order = this.starts.map((_, i) => i).sort((a, b) => (this.starts[a] < this.starts[b] ? -1 : this.starts[a] > this.starts[b] ? 1 : 0))
    this.starts = order.map((i) => this.starts[i])
    this.ends = order.map((i) => this.ends[i])
    this.targets = order.map((i) => this.targets[i])
  }

  resolve(address: bigint): { memory: Memory; offset: number } {
    let lo = 0
    let hi = this.starts.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (this.starts[mid] <= address) lo = mid + 1
      else hi = mid - 1
    }
    const k = hi
    if (k >= 0 && address <= this.ends[k]) {
      const t = this.targets[k]
      return { memory: t.memory, offset: t.offset + Number(address - this.starts[k]) }
    }
    return fail('ERR_MEMVIEW_SOURCE', `pointer 0x${address.toString(16)} does not point into any row of this table`)
  }
}

// ---- rows of TypedArrays: a T** view ------------------------------------------------------------

function acquireRows(rows: unknown[]): Acquired {
  if (rows.length === 0) fail('ERR_MEMVIEW_SOURCE', 'an empty array of rows has no element type')
  const first = rows[0]
  if (!ArrayBuffer.isView(first) || first instanceof DataView)
    fail('ERR_MEMVIEW_SOURCE', 'rows must be TypedArrays (an array of them is a T** view)')
  const proto = Object.getPrototypeOf(first)
  const n = (first as TypedArray).length
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i]
    if (!ArrayBuffer.isView(r) || Object.getPrototypeOf(r) !== proto)
      fail('ERR_MEMVIEW_SOURCE', `mixed rows: row ${i} is not a ${(first as object).constructor.name} like row 0`)
    if ((r as TypedArray).length !== n) fail('ERR_MEMVIEW_SOURCE', `ragged rows: row ${i} has ${(r as TypedArray).length} elements, row 0 has ${n}`)
  }
  const dtype = dtypeOf(formatOfTypedArray(first as TypedArray)!)
  const kept = (rows as TypedArray[]).slice() // the caller may mutate their array later
  // Built natively, so kernels know it for a table memview made (and check its rows each time).
  const tableBuffer = native.makeRowTable(kept)
  const table = new BigUint64Array(tableBuffer)
  const regions = new Regions()
  kept.forEach((row, i) => regions.add(table[i], row.byteLength, memoryOfBuffer(row.buffer as ArrayBuffer), row.byteOffset))
  regions.seal()
  const mem = new Memory(tableBuffer, null, false)
  mem.resolver = (address) => regions.resolve(address)
  mem.keep = kept
  mem.rows = kept
  mem.checkPointees = () => {
    for (const row of kept) if (row.length !== n) fail('ERR_MEMVIEW_DETACHED', 'a row of this table was detached or shrunk')
  }
  return {
    memory: mem,
    dtype,
    offset: 0,
    shape: [kept.length, n],
    strides: [PTR, dtype.itemsize],
    suboffsets: [0, -1],
    readonly: false,
    base: rows,
    typed: true,
    region: null,
  }
}

sourceKinds.push((src) => (Array.isArray(src) ? acquireRows(src) : null))

// ---- pointer tables from C: fromPointer(ptr, 'double[::view.indirect, ::1]') -------------------

export interface PointerGeometry {
  shape: number[]
  strides: number[]
  suboffsets: number[]
  /** Bytes of the top block (what `ptr` points at). */
  topBytes: number
}

/**
 * C layout of a declaration with pointer axes: each run of direct axes is C-contiguous, and a
 * pointer axis is a table of pointers (stride 8) to the next run. `int***` is
 * 'int[::view.indirect, ::view.indirect, ::1]'.
 */
export function pointerGeometry(decl: Declaration, shape: number[], dtype: DType, subs?: readonly number[]): PointerGeometry {
  const nd = shape.length
  const strides = new Array<number>(nd)
  const suboffsets = new Array<number>(nd)
  let unit = dtype.itemsize
  for (let d = nd - 1; d >= 0; d--) {
    const ptr = decl.dims[d].access !== 'direct'
    if (ptr) {
      strides[d] = PTR
      unit = PTR * shape[d]
    } else {
      strides[d] = unit
      unit *= shape[d]
    }
    suboffsets[d] = ptr ? (subs?.[d] ?? 0) : -1
    if (!Number.isSafeInteger(unit)) fail('ERR_MEMVIEW_EXTENT', 'extent overflows')
    if (ptr && suboffsets[d] < 0) fail('ERR_MEMVIEW_LAYOUT', `Buffer is not indirectly accessible in dimension ${d}.`)
  }
  return { shape, strides, suboffsets, topBytes: unit }
}

/** Bytes a block reached through pointer axis `d` spans: its suboffset plus its run's extent. */
function blockBytes(g: PointerGeometry, d: number, itemsize: number): number {
  let hi = g.suboffsets[d]
  for (let e = d + 1; e < g.shape.length; e++) {
    if (g.shape[e] === 0) return 0
    hi += (g.shape[e] - 1) * g.strides[e]
    if (g.suboffsets[e] >= 0) return hi + PTR
  }
  return hi + itemsize
}

/**
 * The Memory of a foreign top block whose pointer axes resolve through windows over the
 * pointed-to blocks (each holds the owner). Every pointer is checked for NULL now, so a bad
 * table is an error when the view is made, never a crash later.
 */
export function pointerTableMemory(owner: OwnerHandle, g: PointerGeometry, itemsize: number, readonly: boolean): Memory {
  const top = memoryOfOwner(owner, readonly)
  const levels = g.suboffsets.map((s, d) => (s >= 0 ? d : -1)).filter((d) => d >= 0)
  const attach = (mem: Memory, level: number): void => {
    if (level >= levels.length) return
    const axis = levels[level]
    const bytes = blockBytes(g, axis, itemsize)
    const cache = new Map<bigint, Memory>()
    mem.resolver = (address) => {
      let m = cache.get(address)
      if (m === undefined) {
        if (address === 0n) fail('ERR_MEMVIEW_SOURCE', `NULL pointer in an indirect dimension (axis ${axis})`)
        m = new Memory(owner.alias(address, bytes), owner, readonly)
        attach(m, level + 1)
        cache.set(address, m)
      }
      return { memory: m, offset: 0 }
    }
  }
  attach(top, 0)
  validateTables(top, g, 0, 0)
  return top
}

/** Walks every pointer reachable from the top block and refuses NULL entries. */
function validateTables(mem: Memory, g: PointerGeometry, off: number, d: number): void {
  let lastPtr = -1
  for (let e = 0; e < g.shape.length; e++) if (g.suboffsets[e] >= 0) lastPtr = e
  if (d > lastPtr) return // only direct axes remain: no pointers to check
  for (let i = 0; i < g.shape[d]; i++) {
    const o = off + i * g.strides[d]
    if (g.suboffsets[d] >= 0) {
      mem.require(o + PTR)
      const p = mem.view().getBigUint64(o, LITTLE)
      if (p === 0n) fail('ERR_MEMVIEW_SOURCE', `NULL pointer in an indirect dimension (axis ${d}, index ${i})`)
      const { memory } = mem.resolver!(p)
      validateTables(memory, g, g.suboffsets[d], d + 1)
    } else {
      validateTables(mem, g, o, d + 1)
    }
  }
}
