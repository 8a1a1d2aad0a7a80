// view(): acquiring a source into a typed memoryview, in Cython's order of checks
// (__Pyx_ValidateAndInit_memviewslice): read-only, then ndim, then element type, then item size,
// then layout; then the declaration's own slices are applied to the source.
import { type Declaration, describeType, parseDeclaration } from './declaration'
import { fail } from './errors'
import { type DType, dtypeOf, formatOfTypedArray } from './format'
import { SliceItem, applyIndex, cStrides, isElementRef } from './indexing'
import { memoryOfBuffer } from './memory'
import { MemoryView, type ViewInit } from './view'

/** Options that reinterpret the source's bytes (memoryview.cast / np.ndarray(buffer=...)). */
export interface ViewOptions {
  shape?: readonly number[]
  /** Bytes per step along each axis (PEP 3118 strides); C order when omitted. */
  strides?: readonly number[]
  /** Byte offset of element [0, ..., 0] from the start of the source's bytes. */
  offset?: number
  format?: string
  readonly?: boolean
}

/** What a source gives before any declaration is applied: a view's makings, plus how to use it. */
export interface Acquired extends ViewInit {
  /** False for raw bytes (ArrayBuffer, DataView): a declaration gives them their type. */
  typed: boolean
  /** Bytes [start, end) of memory the source covers, for reinterpretation. */
  region: [number, number] | null
  /** Called once with the view built from this acquisition, or with null when building it
   * failed (an exporter's buffer is then released at once: lib/protocol.ts). */
  settle?: (v: MemoryView | null) => void
}

/** Turns sources into Acquired; other modules register more kinds (CyArray, exporters, rows). */
export const sourceKinds: ((src: unknown, opts: ViewOptions) => Acquired | null)[] = []

function acquireBuiltin(src: unknown): Acquired | null {
  if (src instanceof MemoryView) {
    src._checkUsable() // also refuses objects that only inherit MemoryView.prototype
    return {
      memory: src._m,
      dtype: src._dt,
      offset: src._off,
      shape: src.shape,
      strides: src.strides,
      suboffsets: src.suboffsets,
      readonly: src.readonly,
      base: src.base,
      typed: true,
      region: null,
    }
  }
  if (ArrayBuffer.isView(src)) {
    const buf = src.buffer as ArrayBuffer
    const fmt = src instanceof DataView ? null : formatOfTypedArray(src)
    const dtype = dtypeOf(fmt ?? 'B')
    const n = src.byteLength / dtype.itemsize
    return {
      memory: memoryOfBuffer(buf),
      dtype,
      offset: src.byteOffset,
      shape: [n],
      strides: [dtype.itemsize],
      suboffsets: [-1],
      readonly: false,
      base: src,
      typed: fmt !== null,
      region: [src.byteOffset, src.byteOffset + src.byteLength],
    }
  }
  if (src instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && src instanceof SharedArrayBuffer)) {
    return {
      memory: memoryOfBuffer(src),
      dtype: dtypeOf('B'),
      offset: 0,
      shape: [src.byteLength],
      strides: [1],
      suboffsets: [-1],
      readonly: false,
      base: src,
      typed: false,
      region: [0, src.byteLength],
    }
  }
  return null
}

export function acquire(src: unknown, opts: ViewOptions): Acquired {
  if (src === null || src === undefined) fail('ERR_MEMVIEW_NONE', 'Cannot acquire a view of None (null or undefined)')
  let a = acquireBuiltin(src)
  for (let k = 0; a === null && k < sourceKinds.length; k++) a = sourceKinds[k](src, opts)
  if (a === null) return fail('ERR_MEMVIEW_SOURCE', `a ${describeSource(src)} does not support the buffer protocol`)
  return a
}

function describeSource(src: unknown): string {
  if (typeof src !== 'object') return typeof src
  const name = (src as object).constructor?.name
  return name ? `'${name}' object` : 'object'
}

// ---- reinterpretation (opts.shape / strides / offset / format) ----------------------------------

/**
 * A fresh copy of an array of safe integers, each element read exactly once (so getters or a
 * Symbol.species cannot change what was validated), or null when it is not one.
 */
export function readIntArray(x: unknown, max = 64): number[] | null {
  if (!Array.isArray(x)) return null
  const n = x.length
  if (!Number.isSafeInteger(n) || n > max) return null
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    const v: unknown = x[i]
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return null
    out[i] = v
  }
  return out
}

/** The view's makings from an acquisition. Written out, not `{ ...a, readonly }`: V8's object
 * spread that then redefines a key takes a slow path (about 0.8 us per view()). */
function initOf(a: Acquired, readonly: boolean, typeName: string | null): ViewInit {
  return { memory: a.memory, dtype: a.dtype, offset: a.offset, shape: a.shape, strides: a.strides, suboffsets: a.suboffsets, readonly, base: a.base, typeName }
}

function reinterpret(a: Acquired, options: ViewOptions, declFormat: string | null): Acquired {
  // Each option is read once: what is validated below is what is used.
  const opts = { shape: options.shape, strides: options.strides, offset: options.offset, format: options.format }
  const wantsFormat = opts.format !== undefined || (declFormat !== null && !a.typed)
  if (opts.shape === undefined && opts.strides === undefined && opts.offset === undefined && !wantsFormat) return a
  let region = a.region
  if (region === null) {
    // A view can be reinterpreted when its bytes are one C-contiguous block (memoryview.cast).
    const v = new MemoryView(initOf(a, a.readonly, null))
    if (!v.isCContiguous || v._indirect) fail('ERR_MEMVIEW_LAYOUT', 'memoryview: casts are restricted to C-contiguous views')
    region = [a.offset, a.offset + v.nbytes]
  }
  const dtype = opts.format !== undefined ? dtypeOf(opts.format) : declFormat !== null && !a.typed ? dtypeOf(declFormat) : a.dtype
  const itemsize = dtype.itemsize
  const bytes = region[1] - region[0]
  const offset = opts.offset ?? 0
  if (!Number.isSafeInteger(offset) || offset < 0) fail('ERR_MEMVIEW_EXTENT', `offset must be a non-negative integer, got ${String(offset)}`)
  let shape: number[]
  if (opts.shape !== undefined) {
    if (Array.isArray(opts.shape) && opts.shape.length > 64) fail('ERR_MEMVIEW_NDIM', 'memoryview: number of dimensions must not exceed 64')
    const copy = readIntArray(opts.shape)
    if (copy === null || copy.some((n) => n < 0)) fail('ERR_MEMVIEW_EXTENT', 'shape must be an array of non-negative integers')
    shape = copy
  } else {
    if ((bytes - offset) % itemsize !== 0 || bytes < offset)
      fail('ERR_MEMVIEW_EXTENT', `memoryview: length is not a multiple of itemsize (${bytes - offset} bytes, itemsize ${itemsize})`)
    shape = [(bytes - offset) / itemsize]
  }
  let strides: number[]
  if (opts.strides !== undefined) {
    const copy = readIntArray(opts.strides)
    if (copy === null) fail('ERR_MEMVIEW_EXTENT', 'strides must be an array of integers')
    if (copy.length !== shape.length) fail('ERR_MEMVIEW_EXTENT', `strides has ${copy.length} entries for ${shape.length} dimensions`)
    strides = copy
  } else {
    strides = cStrides(shape, itemsize)
  }
  // Every reachable byte must lie inside the source's bytes (computed without overflow: all
  // values are safe integers and the products are checked against the region size).
  let lo = 0
  let hi = 0
  let empty = false
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 0) empty = true
    const span = (shape[d] - 1) * strides[d]
    if (!Number.isSafeInteger(span)) fail('ERR_MEMVIEW_EXTENT', 'shape x strides overflows')
    if (span < 0) lo += span
    else hi += span
  }
  if (offset > bytes || (!empty && (offset + lo < 0 || offset + hi + itemsize > bytes)))
    fail('ERR_MEMVIEW_EXTENT', `shape, strides and offset reach bytes ${offset + lo}..${offset + hi + itemsize - 1}, outside the source's ${bytes} bytes`)
  return {
    ...a,
    dtype,
    offset: region[0] + offset,
    shape,
    strides,
    suboffsets: shape.map(() => -1),
    typed: true,
    region: null,
  }
}

// ---- the declaration checks ----------------------------------------------------------------------

const CYTHON_NAMES: Record<string, string> = {
  b: 'signed char', B: 'unsigned char', c: 'char', '?': 'bool', h: 'short', H: 'unsigned short',
  i: 'int', I: 'unsigned int', l: 'long', L: 'unsigned long', q: 'long long', Q: 'unsigned long long',
  n: 'Py_ssize_t', N: 'size_t', e: 'float16', f: 'float', d: 'double', g: 'long double',
  F: 'complex float', D: 'complex double', G: 'complex long double', P: 'a pointer', s: 'a string', p: 'a string',
}

/** Cython's name of what a buffer holds, for dtype mismatch messages. */
function gotName(dt: DType): string {
  if (dt.node.kind === 'struct') return 'a struct'
  if (dt.node.kind === 'array') return 'an array'
  const n = CYTHON_NAMES[dt.code!]
  return n === undefined ? `'${dt.code}'` : n.startsWith('a ') ? n : `'${n}'`
}

/** Cython's buffer dtype check: same size and group ('char' takes any 1-byte type). */
function checkDtype(decl: Declaration, dt: DType): void {
  if (dt.node.kind === 'scalar' && dt.node.endian !== (LITTLE ? '<' : '>'))
    fail('ERR_MEMVIEW_DTYPE', LITTLE ? 'Big-endian buffer not supported on little-endian compiler' : 'Little-endian buffer not supported on big-endian compiler')
  const ok =
    dt.node.kind === 'scalar' &&
    dt.itemsize === decl.itemsize &&
    (decl.format === 'c' || dt.group === decl.group || (decl.group === 'u' && dt.group === 'b') || (decl.group === 'b' && dt.group === 'u'))
  if (!ok) fail('ERR_MEMVIEW_DTYPE', `Buffer dtype mismatch, expected '${describeType(decl)}' but got ${gotName(dt)}`)
}

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** Cython's layout validation (anchors A1 steps 5-6) of geometry against a declaration. */
function checkLayout(decl: Declaration, a: Acquired): void {
  const { shape, strides, suboffsets } = a
  const itemsize = a.dtype.itemsize
  let size = 1
  for (const n of shape) size *= n
  for (let d = 0; d < decl.ndim; d++) {
    const spec = decl.dims[d]
    const ptr = suboffsets[d] >= 0
    if (spec.access === 'direct' && ptr) fail('ERR_MEMVIEW_LAYOUT', `Buffer not compatible with direct access in dimension ${d}.`)
    if (spec.access === 'ptr' && !ptr) fail('ERR_MEMVIEW_LAYOUT', `Buffer is not indirectly accessible in dimension ${d}.`)
    if (size === 0 || shape[d] <= 1) continue
    if (spec.packing === 'contig') {
      if (ptr && strides[d] !== 8) fail('ERR_MEMVIEW_LAYOUT', `Buffer is not indirectly contiguous in dimension ${d}.`)
      if (!ptr && strides[d] !== itemsize) fail('ERR_MEMVIEW_LAYOUT', 'Buffer and memoryview are not contiguous in the same dimension.')
    } else if (spec.packing === 'follow' && Math.abs(strides[d]) < itemsize) {
      fail('ERR_MEMVIEW_LAYOUT', 'Buffer and memoryview are not contiguous in the same dimension.')
    }
  }
  if (decl.contiguity !== null && size > 0) {
    const probe = new MemoryView(initOf(a, a.readonly, null))
    if (decl.contiguity === 'C' && !strictContig(probe, true)) fail('ERR_MEMVIEW_LAYOUT', 'Buffer not C contiguous.')
    if (decl.contiguity === 'F' && !strictContig(probe, false)) fail('ERR_MEMVIEW_LAYOUT', 'Buffer not fortran contiguous.')
  }
}

/** ::1 contiguity on the direct axes following (C) or preceding (F) the last indirect axis. */
function strictContig(v: MemoryView, c: boolean): boolean {
  if (!v._indirect) return c ? v.isCContiguous : v.isFContiguous
  // Indirect declarations: only the direct run after the last pointer axis must be contiguous.
  let last = -1
  for (let d = 0; d < v.ndim; d++) if (v.suboffsets[d] >= 0) last = d
  let expected = v.itemsize
  for (let d = v.ndim - 1; d > last; d--) {
    if (v.shape[d] > 1 && v.strides[d] !== expected) return false
    expected *= v.shape[d]
  }
  return true
}

/** Builds the view for `view(decl?, source, opts)`. */
export function makeTypedView(declText: string | null, src: unknown, opts: ViewOptions = {}): MemoryView {
  if (opts === null || typeof opts !== 'object') fail('ERR_MEMVIEW_ARGUMENT', 'options must be an object')
  const decl = declText === null ? null : parseDeclaration(declText)
  const acquired = acquire(src, opts)
  if (acquired.settle === undefined) return finishView(decl, acquired, opts)
  let made: MemoryView | null = null
  try {
    made = finishView(decl, acquired, opts)
  } finally {
    acquired.settle(made)
  }
  return made
}

/** The declaration's checks and slices over an acquired source. */
function finishView(decl: Declaration | null, a: Acquired, opts: ViewOptions): MemoryView {
  a = reinterpret(a, opts, decl?.format ?? null)
  const readonly = a.readonly || opts.readonly === true || (decl?.isConst ?? false)
  if (decl !== null) {
    if (a.readonly && !decl.isConst && opts.readonly !== true)
      fail('ERR_MEMVIEW_READONLY', 'Cannot create writable memory view from read-only memoryview')
    if (a.shape.length !== decl.ndim)
      fail('ERR_MEMVIEW_NDIM', `Buffer has wrong number of dimensions (expected ${decl.ndim}, got ${a.shape.length})`)
    checkDtype(decl, a.dtype)
    checkLayout(decl, a)
  }
  let v = new MemoryView(initOf(a, readonly, decl === null ? null : describeType(decl)))
  if (decl !== null && decl.dims.some((d) => d.slice !== undefined)) {
    const items = decl.dims.map((d) => (d.slice ? new SliceItem(d.slice.start, d.slice.stop, d.slice.step) : new SliceItem(null, null, null)))
    const r = applyIndex(v._geometry(), items)
    if (!isElementRef(r)) v = v._derive(r)
  }
  return v
}
