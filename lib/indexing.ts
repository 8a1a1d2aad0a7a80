// Index expressions and view geometry arithmetic: the '1:102:2, ..., None' of `v.at(...)`.
//
// Pure TypeScript, no native code. Three parts, one banner each:
//   1. Index items and parsing: ELLIPSIS, NEWAXIS, slice(), parseIndex(), normalizeIndex().
//   2. Slice arithmetic: sliceIndices(), Python's slice.indices(n) plus the length.
//   3. Geometry: applyIndex(), transposeGeometry(), contiguity(), cStrides(), fStrides().
//
// Semantics are NumPy's basic indexing (NumPy 2.4) on direct axes and Cython's/CPython's rules for
// indirect (suboffset) axes (reference/anchors.md A3, A4). Error texts follow Cython's where it has
// one and NumPy's otherwise.

import { fail } from './errors.js'

// =================================================================================================
// 1. Index items and parsing
// =================================================================================================

/** `...` in an index: as many full slices as needed. Python's `Ellipsis`. */
export const ELLIPSIS: unique symbol = Symbol.for('memview.ELLIPSIS')

/** A new axis of extent 1 (stride 0). As `numpy.newaxis`, it is simply `null` (Python's `None`). */
export const NEWAXIS = null

/** The three optional parts of a slice; `null` means omitted, as Python's `None`. */
export interface Slice {
  readonly start: number | null
  readonly stop: number | null
  readonly step: number | null
}

/**
 * A slice item, Python's `slice` object. Instances are frozen; parts are integers or null
 * (validated here too). Build them with {@link slice}.
 */
export class SliceItem implements Slice {
  readonly start: number | null
  readonly stop: number | null
  readonly step: number | null
  constructor(start: number | null, stop: number | null, step: number | null) {
    this.start = slicePart(start)
    this.stop = slicePart(stop)
    this.step = slicePart(step)
    Object.freeze(this)
  }
  /** Python's repr: `slice(1, 102, 2)`, `slice(None, None, -1)`. */
  toString(): string {
    const s = (x: number | null) => (x === null ? 'None' : String(x))
    return `slice(${s(this.start)}, ${s(this.stop)}, ${s(this.step)})`
  }
}

/** One item of an index: an integer, a slice, `...` or `null` (new axis). */
export type IndexItem = number | SliceItem | typeof ELLIPSIS | null

const FULL_SLICE = new SliceItem(null, null, null)

function slicePart(x: unknown): number | null {
  if (x === null || x === undefined) return null
  if (typeof x === 'number' && Number.isInteger(x)) return x
  if (typeof x === 'bigint') return Number(x)
  return fail(
    'ERR_MEMVIEW_INDEX_SYNTAX',
    `slice indices must be integers or None or have an __index__ method (got ${describe(x)})`,
  )
}

/**
 * Builds a slice item with Python's argument convention: `slice(stop)`, `slice(start, stop)`,
 * `slice(start, stop, step)`. Omitted parts are `null` or `undefined`; bigints are accepted.
 *
 * @example v.at(slice(1, 102, 2), slice())   // v[1:102:2, :]
 * @example slice(5)                          // [:5], as Python's slice(5)
 */
export function slice(start?: number | bigint | null, stop?: number | bigint | null, step?: number | bigint | null): SliceItem {
  if (arguments.length === 1) return new SliceItem(null, slicePart(start), null)
  return new SliceItem(slicePart(start), slicePart(stop), slicePart(step))
}

function describe(x: unknown): string {
  if (x === null) return 'null'
  if (Array.isArray(x)) return 'Array'
  if (typeof x === 'number') return Number.isInteger(x) ? 'number' : `number (${x} is not an integer)`
  if (typeof x === 'object') {
    const name = (x as { constructor?: { name?: unknown } }).constructor?.name
    return typeof name === 'string' && name !== '' ? name : 'object'
  }
  return typeof x
}

// Parsed expressions, by string. Bounded so that generated strings (`${i}, :`) cannot grow it
// without limit: when full it is simply cleared.
const PARSE_CACHE_MAX = 4096
const parseCache = new Map<string, IndexItem[]>()

const INT_RE = /^([+-]?)\s*(0(?:_?0)*|[1-9](?:_?[0-9])*)$/

function syntaxError(expr: string, why: string): never {
  return fail('ERR_MEMVIEW_INDEX_SYNTAX', `invalid index expression ${JSON.stringify(expr)}: ${why}`)
}

function parseInt10(text: string, expr: string, what: string): number {
  const m = INT_RE.exec(text)
  if (m === null) {
    if (/^[+-]?\s*0[0-9_]*$/.test(text)) {
      return syntaxError(expr, `leading zeros in decimal integer literals are not permitted (${what} '${text}')`)
    }
    return syntaxError(expr, `${what} '${text}' is not a decimal integer`)
  }
  // Beyond Number.MAX_SAFE_INTEGER the value is approximate, which is fine: it is out of range
  // for every extent and fails the bounds check (an int) or clamps (a slice bound), as in Python.
  const n = Number(m[2].replace(/_/g, ''))
  return m[1] === '-' && n !== 0 ? -n : n
}

function parseItem(text: string, expr: string, position: number): IndexItem {
  if (text === '...' || text === 'Ellipsis') return ELLIPSIS
  if (text === 'None') return null
  if (text.indexOf(':') >= 0) {
    const parts = text.split(':')
    if (parts.length > 3) {
      return syntaxError(expr, `item ${position} '${text}' has ${parts.length} parts; a slice is start:stop:step at most`)
    }
    const p = [null, null, null] as (number | null)[]
    const names = ['slice start', 'slice stop', 'slice step']
    for (let i = 0; i < parts.length; i++) {
      const t = parts[i].trim()
      p[i] = t === '' || t === 'None' ? null : parseInt10(t, expr, names[i])
    }
    if (p[0] === null && p[1] === null && p[2] === null) return FULL_SLICE
    return new SliceItem(p[0], p[1], p[2])
  }
  if (text === 'True' || text === 'False') {
    return syntaxError(expr, `boolean index '${text}' is not supported; use an integer, a slice, '...' or None`)
  }
  if (/^[[(]/.test(text) || /[\])]$/.test(text)) {
    return syntaxError(expr, `'${text}': lists, tuples and arrays (advanced indexing) are not supported; use integers, slices, '...' or None`)
  }
  if (/^[+-]?\s*[0-9][0-9_]*$/.test(text)) return parseInt10(text, expr, 'index')
  return syntaxError(expr, `item ${position} '${text}' is not an integer, a slice (start:stop:step), '...' or None`)
}

/**
 * Parses a Python index expression as NumPy accepts it in `a[...]`: comma-separated items, each a
 * decimal integer (optional sign), a slice `start:stop:step` with any part omitted (or `None`),
 * `...` or `None`.
 * Surrounding whitespace and one trailing comma are allowed. The result is cached by string and
 * frozen (do not mutate it).
 *
 * @example parseIndex('1:102:2, :')   // [slice(1, 102, 2), slice(None, None, None)]
 * @example parseIndex('..., None, -1') // [ELLIPSIS, null, -1]
 * @throws TypeError ERR_MEMVIEW_INDEX_SYNTAX on malformed input or a second '...'
 */
export function parseIndex(expr: string): IndexItem[] {
  const cached = parseCache.get(expr)
  if (cached !== undefined) return cached
  if (typeof expr !== 'string') {
    return fail('ERR_MEMVIEW_INDEX_SYNTAX', `an index expression must be a string (got ${describe(expr)})`)
  }
  if (expr.trim() === '') {
    return syntaxError(expr, "the expression is empty (use '...' or ':' for the whole view)")
  }
  const texts = expr.split(',')
  // One trailing comma is allowed ('1,' is the tuple (1,)), but not a lone ','.
  let count = texts.length
  if (count > 1 && texts[count - 1].trim() === '') count--
  const items: IndexItem[] = []
  let ellipses = 0
  for (let i = 0; i < count; i++) {
    const t = texts[i].trim()
    if (t === '') return syntaxError(expr, `item ${i} is empty`)
    const item = parseItem(t, expr, i)
    if (item === ELLIPSIS && ++ellipses > 1) {
      return fail('ERR_MEMVIEW_INDEX_SYNTAX', "an index can only have a single ellipsis ('...')")
    }
    items.push(item)
  }
  Object.freeze(items)
  if (parseCache.size >= PARSE_CACHE_MAX) parseCache.clear()
  parseCache.set(expr, items)
  return items
}

/**
 * Validates programmatic index arguments (`v.at(1, slice(1, 102, 2), ELLIPSIS, NEWAXIS)`):
 * integers (numbers or bigints), slice items, ELLIPSIS and null. Strings are not index items here
 * (a whole expression goes to {@link parseIndex}). Returns `args` itself when nothing needed
 * converting, otherwise a new array.
 *
 * @throws TypeError ERR_MEMVIEW_INDEX_SYNTAX `Cannot index with type '...'` (Cython's text)
 */
export function normalizeIndex(args: unknown[]): IndexItem[] {
  let out: unknown[] = args
  let ellipses = 0
  for (let i = 0; i < args.length; i++) {
    const x = args[i]
    if (typeof x === 'number') {
      if (Number.isInteger(x)) continue
    } else if (x === null || x instanceof SliceItem) {
      continue
    } else if (x === ELLIPSIS) {
      if (++ellipses > 1) fail('ERR_MEMVIEW_INDEX_SYNTAX', "an index can only have a single ellipsis ('...')")
      continue
    } else if (typeof x === 'bigint') {
      if (out === args) out = args.slice()
      out[i] = Number(x)
      continue
    }
    const hint = typeof x === 'string' ? " (pass a whole index expression as one string: at('1:3, ...'))" : ''
    fail('ERR_MEMVIEW_INDEX_SYNTAX', `Cannot index with type '${describe(x)}'${hint}`)
  }
  return out as IndexItem[]
}

// =================================================================================================
// 2. Slice arithmetic
// =================================================================================================

// Results of computeSlice, returned through module scratch so the hot path allocates nothing.
let sliceStart = 0
let sliceStop = 0

// Python's PySlice_AdjustIndices: fills sliceStart/sliceStop, returns the length. `step` != 0.
function computeSlice(n: number, start: number | null, stop: number | null, step: number): number {
  let lower: number, upper: number
  if (step < 0) {
    lower = -1
    upper = n - 1
  } else {
    lower = 0
    upper = n
  }
  let s: number, e: number
  if (start === null) s = step < 0 ? upper : lower
  else {
    s = start < 0 ? start + n : start
    if (s < lower) s = lower
    else if (s > upper) s = upper
  }
  if (stop === null) e = step < 0 ? lower : upper
  else {
    e = stop < 0 ? stop + n : stop
    if (e < lower) e = lower
    else if (e > upper) e = upper
  }
  sliceStart = s
  sliceStop = e
  if (step < 0) return e < s ? Math.floor((s - e - 1) / -step) + 1 : 0
  return s < e ? Math.floor((e - s - 1) / step) + 1 : 0
}

/**
 * Python's `slice(start, stop, step).indices(n)` and `len(range(...))` of the result.
 * Omitted parts are `null`.
 *
 * @example sliceIndices(10, null, null, -1)  // [9, -1, -1, 10]
 * @throws RangeError ERR_MEMVIEW_SLICE_STEP for step 0
 */
export function sliceIndices(
  n: number,
  start: number | null,
  stop: number | null,
  step: number | null,
): [start: number, stop: number, step: number, length: number] {
  const st = step === null ? 1 : step
  if (st === 0) fail('ERR_MEMVIEW_SLICE_STEP', 'slice step cannot be zero')
  const len = computeSlice(n, start, stop, st)
  return [sliceStart, sliceStop, st, len]
}

// =================================================================================================
// 3. Geometry
// =================================================================================================

/** Where a view's elements are: byte offset of element [0, ..., 0], extents, strides, suboffsets. */
export interface Geometry {
  /** Byte offset of element [0, ..., 0] in `space`. */
  offset: number
  shape: number[]
  /** Bytes; any sign. */
  strides: number[]
  /** Bytes; < 0 marks a direct axis, >= 0 an indirect one (PEP 3118). */
  suboffsets: number[]
  /** Opaque memory-space token: carried along, replaced when an indirect axis is dereferenced. */
  space: unknown
}

/** What applyIndex returns when every axis was indexed by an integer: one element's location. */
export interface ElementRef {
  element: true
  space: unknown
  offset: number
}

/**
 * Reads the pointer stored at `byteOffset` in `space` and returns the location pointer + suboffset.
 */
export type Deref = (space: unknown, byteOffset: number, suboffset: number) => { space: unknown; offset: number }

/** True when applyIndex returned a single element's location rather than a view geometry. */
export function isElementRef(r: Geometry | ElementRef): r is ElementRef {
  return (r as ElementRef).element === true
}

/**
 * Applies index items to a geometry, as NumPy's basic indexing plus the PEP 3118/Cython rules for
 * indirect axes. Returns the new view's geometry, or an {@link ElementRef} when the items are
 * exactly one integer per axis (NumPy returns a scalar there; `a[1, 2, ...]` stays a 0-d view).
 *
 * - `...` expands to full slices (one at most); missing trailing items are `:`.
 * - `null` inserts an axis of extent 1, stride 0, suboffset -1, consuming no source axis.
 * - An integer removes its axis (negative counts from the end, once).
 * - A slice keeps its axis with Python's `slice.indices` arithmetic. An empty result keeps the
 *   offset where it was and the stride unchanged (NumPy: start 0, step 1), so the offset of any
 *   result stays the address of an element of a non-empty source.
 * - Indirect axes (A4): start*stride of axes after the last kept indirect axis goes into that axis'
 *   suboffset instead of the offset; an integer on an indirect axis with no source axis kept before
 *   it is dereferenced at once (`deref`); after a kept axis it is an error. A new axis in front
 *   does not count as kept (its extent is 1, so the pointer is the same for all its elements).
 *   When that suboffset would become negative (negative strides after an indirect axis), the view
 *   cannot be described in PEP 3118 terms and is refused (ERR_MEMVIEW_UNSUPPORTED).
 *
 * Hot path: no allocation beyond the result, no closures, plain loops.
 *
 * @example applyIndex(g, parseIndex('1:102:2, :'))
 * @throws RangeError ERR_MEMVIEW_INDEX (too many indices, out of bounds, indirect after slice),
 *   ERR_MEMVIEW_SLICE_STEP (step 0); TypeError ERR_MEMVIEW_INDEX_SYNTAX (two ellipses, bad item),
 *   ERR_MEMVIEW_UNSUPPORTED (negative suboffset; indirect axis without `deref`)
 */
export function applyIndex(g: Geometry, items: readonly IndexItem[], deref?: Deref): Geometry | ElementRef {
  const shape = g.shape
  const strides = g.strides
  const subs = g.suboffsets
  const ndim = shape.length
  const nItems = items.length

  // Pass 1: count what consumes source axes and what adds output axes.
  let nInt = 0
  let nSlice = 0
  let nNew = 0
  let nEllipsis = 0
  for (let k = 0; k < nItems; k++) {
    const it = items[k]
    if (typeof it === 'number') nInt++
    else if (it === null) nNew++
    else if (it instanceof SliceItem) nSlice++
    else if (it === ELLIPSIS) {
      if (++nEllipsis > 1) fail('ERR_MEMVIEW_INDEX_SYNTAX', "an index can only have a single ellipsis ('...')")
    } else fail('ERR_MEMVIEW_INDEX_SYNTAX', `Cannot index with type '${describe(it)}'`)
  }
  const consumed = nInt + nSlice
  if (consumed > ndim) {
    fail('ERR_MEMVIEW_INDEX', `too many indices for array: array is ${ndim}-dimensional, but ${consumed} were indexed`)
  }
  const element = nInt === ndim && nItems === nInt

  let offset = g.offset
  let space = g.space

  if (element) {
    // One integer per axis: walk to the element, dereferencing indirect axes as they come.
    for (let d = 0; d < ndim; d++) {
      let i = items[d] as number
      const n = shape[d]
      if (i < 0) i += n
      if (!(i >= 0 && i < n)) fail('ERR_MEMVIEW_INDEX', `Index out of bounds (axis ${d})`)
      offset += i * strides[d]
      const so = subs[d]
      if (so >= 0) {
        if (deref === undefined) noDeref(d)
        const loc = deref(space, offset, so)
        space = loc.space
        offset = loc.offset
      }
    }
    return { element: true, space, offset }
  }

  const outNdim = ndim - nInt + nNew
  if (outNdim > 64) fail('ERR_MEMVIEW_NDIM', `the result would have ${outNdim} dimensions; at most 64 are supported (NumPy's limit)`)
  const oShape: number[] = new Array(outNdim)
  const oStrides: number[] = new Array(outNdim)
  const oSubs: number[] = new Array(outNdim)
  let fill = ndim - consumed // full slices to add: at the ellipsis, else at the end
  let src = 0 // next source axis
  let out = 0 // next output axis
  let subDim = -1 // output axis of the last kept indirect axis
  let subSrc = -1 // ...and its source axis
  let negAxis = -1 // first kept indirect axis left with a negative suboffset (reported last, so that
  let negValue = 0 // errors in the index itself come first)
  let kept = false // a source axis has been kept (sliced) so far

  for (let k = 0; k <= nItems; k++) {
    // k === nItems: the trailing full slices when there was no ellipsis.
    const it = k < nItems ? items[k] : ELLIPSIS
    if (it === ELLIPSIS) {
      for (; fill > 0; fill--, src++, out++) {
        // A full slice: start 0, so nothing to add anywhere.
        oShape[out] = shape[src]
        oStrides[out] = strides[src]
        const so = subs[src]
        oSubs[out] = so
        if (so >= 0) {
          if (subDim >= 0 && oSubs[subDim] < 0 && negAxis < 0) {
            negAxis = subSrc
            negValue = oSubs[subDim]
          }
          subDim = out
          subSrc = src
        }
        kept = true
      }
    } else if (it === null) {
      oShape[out] = 1
      oStrides[out] = 0
      oSubs[out] = -1
      out++
    } else if (typeof it === 'number') {
      const n = shape[src]
      let i = it
      if (i < 0) i += n
      if (!(i >= 0 && i < n)) fail('ERR_MEMVIEW_INDEX', `Index out of bounds (axis ${src})`)
      const so = subs[src]
      if (so >= 0) {
        if (kept) fail('ERR_MEMVIEW_INDEX', `All dimensions preceding dimension ${src} must be indexed and not sliced`)
        if (deref === undefined) noDeref(src)
        const loc = deref(space, offset + i * strides[src], so)
        space = loc.space
        offset = loc.offset
      } else if (subDim >= 0) oSubs[subDim] += i * strides[src]
      else offset += i * strides[src]
      src++
    } else {
      const sl = it as SliceItem
      const step = sl.step === null ? 1 : sl.step
      if (step === 0) fail('ERR_MEMVIEW_SLICE_STEP', `Step may not be zero (axis ${src})`)
      const len = computeSlice(shape[src], sl.start, sl.stop, step)
      const stride = strides[src]
      if (len > 0) {
        const delta = sliceStart * stride
        if (subDim >= 0) oSubs[subDim] += delta
        else offset += delta
        oStrides[out] = stride * step + 0 // + 0: a stride-0 axis stepped backwards is 0, not -0
      } else {
        // NumPy (mapping.c get_view_from_index): an empty slice takes start 0 and step 1.
        oStrides[out] = stride
      }
      oShape[out] = len
      const so = subs[src]
      oSubs[out] = so
      if (so >= 0) {
        if (subDim >= 0 && oSubs[subDim] < 0 && negAxis < 0) {
          negAxis = subSrc
          negValue = oSubs[subDim]
        }
        subDim = out
        subSrc = src
      }
      kept = true
      src++
      out++
    }
  }
  if (negAxis < 0 && subDim >= 0 && oSubs[subDim] < 0) {
    negAxis = subSrc
    negValue = oSubs[subDim]
  }
  if (negAxis >= 0) negativeSuboffset(negAxis, negValue)
  return { offset, shape: oShape, strides: oStrides, suboffsets: oSubs, space }
}

// The start of the pointed-to block moved before the pointer: with negative strides under (or in)
// an indirect axis. PEP 3118 reads a negative suboffset as "direct", so such a view cannot be
// described; Cython and CPython would silently produce it (and misread it).
function negativeSuboffset(axis: number, value: number): never {
  return fail(
    'ERR_MEMVIEW_UNSUPPORTED',
    `Cannot index: indirect dimension ${axis} would need a negative suboffset (${value}), which PEP 3118 reads as a direct dimension`,
  )
}

function noDeref(axis: number): never {
  return fail('ERR_MEMVIEW_UNSUPPORTED', `Indirect dimensions not supported (axis ${axis}): no dereference function given`)
}

/**
 * Permutes the axes of a geometry (NumPy's `transpose`): reverses them when `axes` is omitted;
 * negative axes count from the end. Offset and space are unchanged.
 *
 * @example transposeGeometry(g)          // .T
 * @example transposeGeometry(g, [1, 0, 2])
 * @throws TypeError ERR_MEMVIEW_LAYOUT for indirect axes; RangeError ERR_MEMVIEW_INDEX for a bad
 *   permutation (NumPy's texts); TypeError ERR_MEMVIEW_ARGUMENT for a non-integer axis
 */
export function transposeGeometry(g: Geometry, axes?: readonly number[]): Geometry {
  const ndim = g.shape.length
  for (let d = 0; d < ndim; d++) {
    if (g.suboffsets[d] >= 0) fail('ERR_MEMVIEW_LAYOUT', 'Cannot transpose memoryview with indirect dimensions')
  }
  const shape: number[] = new Array(ndim)
  const strides: number[] = new Array(ndim)
  const suboffsets: number[] = new Array(ndim)
  if (axes === undefined || axes === null) {
    for (let d = 0; d < ndim; d++) {
      shape[d] = g.shape[ndim - 1 - d]
      strides[d] = g.strides[ndim - 1 - d]
      suboffsets[d] = g.suboffsets[ndim - 1 - d]
    }
  } else {
    if (axes.length !== ndim) fail('ERR_MEMVIEW_INDEX', "axes don't match array")
    const seen: boolean[] = new Array(ndim).fill(false)
    for (let d = 0; d < ndim; d++) {
      let a = axes[d]
      if (typeof a !== 'number' || !Number.isInteger(a)) {
        fail('ERR_MEMVIEW_ARGUMENT', `transpose axes must be integers (got ${describe(a)})`)
      }
      if (a < -ndim || a >= ndim) fail('ERR_MEMVIEW_INDEX', `axis ${a} is out of bounds for array of dimension ${ndim}`)
      if (a < 0) a += ndim
      if (seen[a]) fail('ERR_MEMVIEW_INDEX', 'repeated axis in transpose')
      seen[a] = true
      shape[d] = g.shape[a]
      strides[d] = g.strides[a]
      suboffsets[d] = g.suboffsets[a]
    }
  }
  return { offset: g.offset, shape, strides, suboffsets, space: g.space }
}

/**
 * NumPy's C_CONTIGUOUS / F_CONTIGUOUS flags: axes of extent 1 are ignored, any extent 0 makes both
 * true, 0-d is both. Any indirect axis (suboffset >= 0) makes both false (CPython's
 * PyBuffer_IsContiguous). Relaxed, unlike Cython's strict `is_c_contig()`, which also requires the
 * stride of extent-1 axes to be the running product.
 */
export function contiguity(
  shape: readonly number[],
  strides: readonly number[],
  suboffsets: readonly number[] | null | undefined,
  itemsize: number,
): { c: boolean; f: boolean } {
  const ndim = shape.length
  if (suboffsets) {
    for (let d = 0; d < suboffsets.length; d++) if (suboffsets[d] >= 0) return { c: false, f: false }
  }
  for (let d = 0; d < ndim; d++) if (shape[d] === 0) return { c: true, f: true }
  let c = true
  let sd = itemsize
  for (let d = ndim - 1; d >= 0; d--) {
    const n = shape[d]
    if (n !== 1) {
      if (strides[d] !== sd) {
        c = false
        break
      }
      sd *= n
    }
  }
  let f = true
  sd = itemsize
  for (let d = 0; d < ndim; d++) {
    const n = shape[d]
    if (n !== 1) {
      if (strides[d] !== sd) {
        f = false
        break
      }
      sd *= n
    }
  }
  return { c, f }
}

function freshStrides(shape: readonly number[], itemsize: number, fortran: boolean): number[] {
  const ndim = shape.length
  const strides: number[] = new Array(ndim)
  let empty = false
  for (let d = 0; d < ndim; d++) if (shape[d] === 0) empty = true
  let sd = itemsize
  for (let k = 0; k < ndim; k++) {
    const d = fortran ? k : ndim - 1 - k
    strides[d] = empty ? 0 : sd
    sd *= shape[d]
  }
  return strides
}

/**
 * Strides of a fresh C-ordered array, as NumPy 2.4 computes them: running products from the last
 * axis; all 0 when any extent is 0 (`np.empty((2, 0, 4)).strides == (0, 0, 0)`).
 *
 * @example cStrides([2, 3], 4)  // [12, 4]
 */
export function cStrides(shape: readonly number[], itemsize: number): number[] {
  return freshStrides(shape, itemsize, false)
}

/**
 * Strides of a fresh Fortran-ordered array, as NumPy 2.4 computes them: running products from the
 * first axis; all 0 when any extent is 0.
 *
 * @example fStrides([2, 3], 4)  // [4, 8]
 */
export function fStrides(shape: readonly number[], itemsize: number): number[] {
  return freshStrides(shape, itemsize, true)
}
