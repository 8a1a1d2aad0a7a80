// Element access specialised by number of dimensions. Each view gets the get/set pair for its
// ndim and memory kind when it is made, so a loop's call site sees one small function V8 inlines:
// bounds checks, index arithmetic and one TypedArray load, no branching on ndim.
// Indices that fail the fast check (negative beyond the extent, out of range, non-integers, not
// numbers, beyond 2^32) and anything unusual (wrong index count, released view, DataView or indirect memory beyond the
// T** case) falls back to MemoryView.prototype.get/set, which handle every case.
import { fail } from './errors'
import type { MemoryView } from './view'

type Getter = (this: MemoryView, ...idx: number[]) => unknown
type Setter = (this: MemoryView, ...args: unknown[]) => void

/** Cython's error for an index outside its axis. */
export function outOfBounds(axis: number): never {
  return fail('ERR_MEMVIEW_INDEX', `Out of bounds on buffer access (axis ${axis})`)
}

function slowGet(v: MemoryView, args: IArguments): unknown {
  return v._getSlow(Array.prototype.slice.call(args))
}

function slowSet(v: MemoryView, args: IArguments): void {
  v._setSlow(Array.prototype.slice.call(args))
}

function store(v: MemoryView, ta: { [k: number]: unknown; length: number } | null, e: number, value: unknown, args: IArguments): void {
  if (ta === null) return slowSet(v, args) // released or forged: the checked path says why
  if (e >= ta.length) v._m.detachedError()
  if (typeof value !== v._vt) value = v._coerce(value)
  ta[e] = value
}

// ---- direct memory through a TypedArray --------------------------------------------------------

function get0(this: MemoryView): unknown {
  if (arguments.length !== 0) return slowGet(this, arguments)
  const ta = this._ta
  if (ta === null) return slowGet(this, arguments) // released or forged: the checked path says why
  const e = this._eo
  // Checked before the load, so the load's result is always a number (never boxed with undefined).
  if (e >= ta.length) return this._m.detachedError()
  return ta[e]
}

function get1(this: MemoryView, i: number): unknown {
  if (arguments.length !== 1 || typeof i !== 'number') return slowGet(this, arguments)
  const s0 = this._s0
  if (i < 0) i += s0
  if (i >>> 0 !== i || i >= s0) return slowGet(this, arguments)
  const ta = this._ta
  if (ta === null) return slowGet(this, arguments) // released or forged: the checked path says why
  const e = this._eo + i * this._e0
  // Checked before the load, so the load's result is always a number (never boxed with undefined).
  if (e >= ta.length) return this._m.detachedError()
  return ta[e]
}

function get2(this: MemoryView, i: number, j: number): unknown {
  if (arguments.length !== 2 || typeof i !== 'number' || typeof j !== 'number') return slowGet(this, arguments)
  const s0 = this._s0
  const s1 = this._s1
  if (i < 0) i += s0
  if (i >>> 0 !== i || i >= s0) return slowGet(this, arguments)
  if (j < 0) j += s1
  if (j >>> 0 !== j || j >= s1) return slowGet(this, arguments)
  const ta = this._ta
  if (ta === null) return slowGet(this, arguments) // released or forged: the checked path says why
  const e = this._eo + i * this._e0 + j * this._e1
  // Checked before the load, so the load's result is always a number (never boxed with undefined).
  if (e >= ta.length) return this._m.detachedError()
  return ta[e]
}

function get3(this: MemoryView, i: number, j: number, k: number): unknown {
  if (arguments.length !== 3 || typeof i !== 'number' || typeof j !== 'number' || typeof k !== 'number') return slowGet(this, arguments)
  const s0 = this._s0
  const s1 = this._s1
  const s2 = this._s2
  if (i < 0) i += s0
  if (i >>> 0 !== i || i >= s0) return slowGet(this, arguments)
  if (j < 0) j += s1
  if (j >>> 0 !== j || j >= s1) return slowGet(this, arguments)
  if (k < 0) k += s2
  if (k >>> 0 !== k || k >= s2) return slowGet(this, arguments)
  const ta = this._ta
  if (ta === null) return slowGet(this, arguments) // released or forged: the checked path says why
  const e = this._eo + i * this._e0 + j * this._e1 + k * this._e2
  // Checked before the load, so the load's result is always a number (never boxed with undefined).
  if (e >= ta.length) return this._m.detachedError()
  return ta[e]
}

function set0(this: MemoryView, value: unknown): void {
  if (arguments.length !== 1) return slowSet(this, arguments)
  store(this, this._ta, this._eo, value, arguments)
}

function set1(this: MemoryView, i: number, value: unknown): void {
  if (arguments.length !== 2 || typeof i !== 'number') return slowSet(this, arguments)
  const s0 = this._s0
  if (i < 0) i += s0
  if (i >>> 0 !== i || i >= s0) return slowSet(this, arguments)
  store(this, this._ta, this._eo + i * this._e0, value, arguments)
}

function set2(this: MemoryView, i: number, j: number, value: unknown): void {
  if (arguments.length !== 3 || typeof i !== 'number' || typeof j !== 'number') return slowSet(this, arguments)
  const s0 = this._s0
  const s1 = this._s1
  if (i < 0) i += s0
  if (i >>> 0 !== i || i >= s0) return slowSet(this, arguments)
  if (j < 0) j += s1
  if (j >>> 0 !== j || j >= s1) return slowSet(this, arguments)
  store(this, this._ta, this._eo + i * this._e0 + j * this._e1, value, arguments)
}

function set3(this: MemoryView, i: number, j: number, k: number, value: unknown): void {
  if (arguments.length !== 4 || typeof i !== 'number' || typeof j !== 'number' || typeof k !== 'number') return slowSet(this, arguments)
  const s0 = this._s0
  const s1 = this._s1
  const s2 = this._s2
  if (i < 0) i += s0
  if (i >>> 0 !== i || i >= s0) return slowSet(this, arguments)
  if (j < 0) j += s1
  if (j >>> 0 !== j || j >= s1) return slowSet(this, arguments)
  if (k < 0) k += s2
  if (k >>> 0 !== k || k >= s2) return slowSet(this, arguments)
  store(this, this._ta, this._eo + i * this._e0 + j * this._e1 + k * this._e2, value, arguments)
}

// ---- T**: a pointer axis 0 whose rows resolve once to TypedArrays -------------------------------

function getRow2(this: MemoryView, i: number, j: number): unknown {
  if (arguments.length !== 2 || typeof i !== 'number' || typeof j !== 'number') return slowGet(this, arguments)
  const s0 = this._s0
  const s1 = this._s1
  if (i < 0) i += s0
  if (i >>> 0 !== i || i >= s0) return slowGet(this, arguments)
  if (j < 0) j += s1
  if (j >>> 0 !== j || j >= s1) return slowGet(this, arguments)
  const row = this._rowTA[i]
  if (row === undefined) return firstTouchGet(this, i, j)
  const e = this._rowEo[i] + j * this._e1
  if (e >= row.length) return this._m.detachedError()
  return row[e]
}

function setRow2(this: MemoryView, i: number, j: number, value: unknown): void {
  if (arguments.length !== 3 || typeof i !== 'number' || typeof j !== 'number') return slowSet(this, arguments)
  const s0 = this._s0
  const s1 = this._s1
  if (i < 0) i += s0
  if (i >>> 0 !== i || i >= s0) return slowSet(this, arguments)
  if (j < 0) j += s1
  if (j >>> 0 !== j || j >= s1) return slowSet(this, arguments)
  const row = this._rowTA[i]
  if (row === undefined) return firstTouchSet(this, i, j, value)
  store(this, row, this._rowEo[i] + j * this._e1, value, arguments)
}

// A row's first access resolves it (kept out of line so the accessors stay small enough to inline).
function firstTouchGet(v: MemoryView, i: number, j: number): unknown {
  return v._resolveRow(i) === null ? v._getSlow([i, j]) : getRow2.call(v, i, j)
}

function firstTouchSet(v: MemoryView, i: number, j: number, value: unknown): void {
  if (v._resolveRow(i) === null) v._setSlow([i, j, value])
  else setRow2.call(v, i, j, value)
}

const DIRECT_GET: Getter[] = [get0, get1, get2, get3] as Getter[]
const DIRECT_SET: Setter[] = [set0, set1, set2, set3] as Setter[]

/** Gives v the get/set for its ndim and memory kind; generic ones (the prototype's) otherwise. */
export function installAccessors(v: MemoryView, genericGet: Getter, genericSet: Setter): void {
  const n = v.ndim
  let get = genericGet
  let set = genericSet
  if (v._ta !== null && n < DIRECT_GET.length) {
    get = DIRECT_GET[n]
    set = DIRECT_SET[n]
  } else if (v._rowsOk && n === 2) {
    get = getRow2 as Getter
    set = setRow2 as Setter
  }
  v.get = get as MemoryView['get']
  v.set = (v.readonly ? genericSet : set) as MemoryView['set']
}
