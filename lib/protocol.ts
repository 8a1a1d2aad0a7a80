// The buffer protocol (PEP 3118) for JS: getBuffer(obj, flags) asks any source for a buffer the
// way a C extension calls PyObject_GetBuffer, and any JS object can export one by implementing
// [memview.BUFFER](flags) / [memview.RELEASE_BUFFER](exported) (Python's PEP 688 __buffer__ and
// __release_buffer__). DESIGN.md section 4.
//
// ---------------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------------
// * Negotiation lives once, in the C++ core (native/core/request.h, mv::request_buffer): the C ABI's
//   get_buffer and this file give the same answer to the same request. One native call per
//   getBuffer(); element access never crosses Node-API.
// * BufferInfo.buf is the MemoryView the buffer describes (zero-copy: it reads and writes the
//   exporter's memory at JS speed). It always carries the full geometry; the BufferInfo fields say
//   what the consumer asked for (null when not requested, as PEP 3118's NULL). `len` and `nbytes`
//   are product(shape) * itemsize. `address` is the bigint address of element [0, ..., 0]
//   (unsafe, computed on first use). `obj` is the object getBuffer() was given.
// * Refusals are BufferError with code ERR_MEMVIEW_FLAGS and CPython's memoryview texts, WRITABLE
//   on read-only memory included ("memoryview: underlying buffer is not writable"): a buffer
//   request that asks too much is one kind of error, as in CPython. (ERR_MEMVIEW_READONLY stays
//   the TypeError of writes through a read-only view and of a non-const declaration over read-only
//   memory.)
// * Export counting follows CPython: a granted buffer increments the export count of the view it
//   describes (for a MemoryView source: that view), and release() of a view with exports throws
//   ERR_MEMVIEW_EXPORTED ("memoryview has 1 exported buffer"). exports(obj) tells the count: a
//   MemoryView's or CyArray's own view count, or for any other object the buffers and views
//   acquired from it and not yet released.
// * Exporters. getBuffer(exporter, flags) calls exporter[BUFFER](flags) with the caller's flags
//   (the exporter may refuse by throwing), then negotiates the same flags over what it returned
//   (PEP 688's re-export), so an exporter that ignores flags cannot hand out a buffer that breaks
//   them. RELEASE_BUFFER receives exactly what BUFFER returned, once, when the BufferInfo is
//   released (or refused after BUFFER succeeded).
//   view(exporter) requests PyBUF.FULL_RO (a source kind cannot know the declaration's needs):
//   read-only-ness flows from what the exporter returns, and a non-const declaration over a
//   read-only result is refused by view() (ERR_MEMVIEW_READONLY, Cython's text). RELEASE_BUFFER
//   runs when the view view() returned is release()d (or disposed: `using v = view(ex)`), at once
//   when view() itself fails (wrong ndim, dtype ...), and, as a backstop, when that view is
//   garbage collected unreleased. Slices taken from it keep the bytes reachable (JS-safe) but do
//   not extend the export.
// * MemoryView and CyArray are exporters: [BUFFER] returns the view itself / the array's view.
//   A BufferInfo that is never released is released when it is garbage collected (a backstop:
//   release explicitly, or use `using info = getBuffer(...)`).
import { type Acquired, makeTypedView, sourceKinds } from './acquire'
import { CyArray } from './array'
import { BufferError, fail } from './errors'
import { native } from './native'
import { addressOf } from './pointer'
import { MemoryView } from './view'

/**
 * CPython's PyBUF_* request flags (Include/pybuffer.h); a request is met when every bit it sets is
 * honoured, tested as `(flags & F) === F`.
 *
 * @example getBuffer(v, PyBUF.C_CONTIGUOUS | PyBUF.FORMAT)
 */
export const PyBUF = Object.freeze({
  SIMPLE: 0,
  WRITABLE: 0x0001,
  /** CPython's alternative spelling. */
  WRITEABLE: 0x0001,
  FORMAT: 0x0004,
  ND: 0x0008,
  STRIDES: 0x0018,
  C_CONTIGUOUS: 0x0038,
  F_CONTIGUOUS: 0x0058,
  ANY_CONTIGUOUS: 0x0098,
  INDIRECT: 0x0118,
  CONTIG: 0x0009,
  CONTIG_RO: 0x0008,
  STRIDED: 0x0019,
  STRIDED_RO: 0x0018,
  RECORDS: 0x001d,
  RECORDS_RO: 0x001c,
  FULL: 0x011d,
  FULL_RO: 0x011c,
} as const)

/** The method an exporter implements: `[BUFFER](flags)` returns a MemoryView or a BufferInfo. */
export const BUFFER: unique symbol = Symbol.for('memview.buffer')
/** Optional: `[RELEASE_BUFFER](exported)` receives what `[BUFFER]` returned, once per buffer. */
export const RELEASE_BUFFER: unique symbol = Symbol.for('memview.release_buffer')

/**
 * What an exporter's [BUFFER] may return besides a MemoryView or a BufferInfo from getBuffer():
 * a description of memory it owns. `buf` is the bytes; `offset` is the byte position of element
 * [0, ..., 0] within them (default 0; with a TypedArray or DataView, from its byteOffset).
 * `format` defaults to 'B' (or, with `itemsize` alone, an unsigned type of that size); `shape` to
 * one axis over all the bytes; `strides` to C order. Indirect memory must be returned as a view.
 */
export interface BufferDescription {
  buf: ArrayBuffer | SharedArrayBuffer | ArrayBufferView | MemoryView
  offset?: number
  format?: string | null
  itemsize?: number
  shape?: readonly number[] | null
  strides?: readonly number[] | null
  suboffsets?: readonly number[] | null
  readonly?: boolean
}

/** A JS object that exports a buffer (DESIGN.md section 4; Python's PEP 688). */
export interface Exporter {
  [BUFFER](flags: number): MemoryView | BufferInfo | BufferDescription
  [RELEASE_BUFFER]?(exported: unknown): void
}

declare module './view' {
  interface MemoryView<T> {
    /** A view exports itself (getBuffer(v) counts an export on v). */
    [BUFFER](flags?: number): MemoryView<T>
  }
}

declare module './array' {
  interface CyArray {
    /** An array exports its view. */
    [BUFFER](flags?: number): MemoryView
  }
}

/** The native decision on one request (native/addon/request_binding.cc). */
type Decision =
  | { ok: true; ndim: number; len: number; format: boolean; shape: boolean; strides: boolean; suboffsets: boolean; readonly: boolean }
  | { ok: false; code: 'ERR_MEMVIEW_FLAGS' | 'ERR_MEMVIEW_ARGUMENT'; error: string }

const requestBuffer = native.requestBuffer as (
  shape: readonly number[],
  strides: readonly number[],
  suboffsets: readonly number[],
  itemsize: number,
  readonly: boolean,
  flags: number,
) => Decision

// ---- export bookkeeping -------------------------------------------------------------------------

/** One export: a BufferInfo, or the hold a view() of an exporter has on it. */
interface Lease {
  /** The view whose _exports this export counts. */
  view: MemoryView
  /** The object counted in `counts` (null for MemoryView and CyArray sources). */
  counted: object | null
  /** The exporter to call RELEASE_BUFFER on, with what its BUFFER returned. */
  exporter: object | null
  exported: unknown
  done: boolean
}

const counts = new WeakMap<object, number>()

function startLease(view: MemoryView, obj: unknown, exporter: object | null, exported: unknown): Lease {
  view._exports++
  const counted = isObject(obj) && !(obj instanceof MemoryView) && !(obj instanceof CyArray) ? obj : null
  if (counted !== null) counts.set(counted, (counts.get(counted) ?? 0) + 1)
  return { view, counted, exporter, exported, done: false }
}

/** Ends an export once: counts first, then the exporter's RELEASE_BUFFER (its errors propagate). */
function endLease(l: Lease): void {
  if (l.done) return
  l.done = true
  l.view._exports--
  if (l.counted !== null) {
    const n = (counts.get(l.counted) ?? 1) - 1
    if (n > 0) counts.set(l.counted, n)
    else counts.delete(l.counted)
  }
  if (l.exporter !== null) callRelease(l.exporter, l.exported)
}

function callRelease(exporter: object, exported: unknown): void {
  const rel = (exporter as Partial<Exporter>)[RELEASE_BUFFER]
  if (typeof rel === 'function') rel.call(exporter, exported)
}

// Garbage-collected BufferInfos and views of exporters that were never released end their
// export here. A finalizer must not throw, so an exporter's error becomes a warning.
const backstop = new FinalizationRegistry<Lease>((l) => {
  try {
    endLease(l)
  } catch (e) {
    process.emitWarning(`memview: RELEASE_BUFFER of a garbage-collected buffer threw: ${String(e)}`, 'MemviewWarning')
  }
})

/**
 * How many buffers `obj` has exported and not yet released: for a MemoryView or CyArray, its
 * view's count (what makes `release()` throw ERR_MEMVIEW_EXPORTED); for any other object, the
 * BufferInfos and exporter views acquired from it.
 *
 * @example const info = getBuffer(v); exports(v) // 1
 */
function exportCount(obj: unknown): number {
  if (obj instanceof MemoryView) return obj._exports
  if (obj instanceof CyArray) return obj.memview._exports
  return isObject(obj) ? (counts.get(obj) ?? 0) : 0
}

// ---- BufferInfo ---------------------------------------------------------------------------------

const TOKEN = Symbol('BufferInfo')

/**
 * A granted buffer request (CPython's Py_buffer). Fields the request did not ask for are null:
 * `format` null means unsigned bytes 'B' (itemsize still the element size), `shape` null means
 * one axis of `len / itemsize` items (ndim is then 1), `strides` null means C-contiguous,
 * `suboffsets` null means direct memory. release() ends the export (idempotent).
 */
export class BufferInfo {
  /** The MemoryView this buffer describes: zero-copy access to the memory, full geometry. */
  readonly buf: MemoryView
  /** The object getBuffer() was asked (CPython's view->obj). */
  readonly obj: unknown
  /** Bytes: product(shape) * itemsize. */
  readonly len: number
  /** The same as len. */
  readonly nbytes: number
  readonly itemsize: number
  readonly format: string | null
  readonly ndim: number
  readonly shape: readonly number[] | null
  readonly strides: readonly number[] | null
  readonly suboffsets: readonly number[] | null
  readonly readonly: boolean
  /** The request this buffer answers. */
  readonly flags: number
  /** @internal */ _lease: Lease

  /** @internal use getBuffer() */
  constructor(token: symbol, buf: MemoryView, obj: unknown, flags: number, d: Extract<Decision, { ok: true }>, lease: Lease) {
    if (token !== TOKEN) fail('ERR_MEMVIEW_ARGUMENT', 'BufferInfo is made by getBuffer()')
    this.buf = buf
    this.obj = obj
    this.len = d.len
    this.nbytes = d.len
    this.itemsize = buf.itemsize
    this.format = d.format ? buf.format : null
    this.ndim = d.ndim
    this.shape = d.shape ? buf.shape : null
    this.strides = d.strides ? buf.strides : null
    this.suboffsets = d.suboffsets ? buf.suboffsets : null
    this.readonly = d.readonly
    this.flags = flags
    this._lease = lease
  }

  /** True once release() ran (or the buffer was refused by a released exporter). */
  get released(): boolean {
    return this._lease.done
  }

  /** The bigint address of element [0, ..., 0] (UNSAFE: valid while this buffer is held). */
  get address(): bigint {
    if (this._lease.done) throw new BufferError('operation forbidden on released buffer', 'ERR_MEMVIEW_RELEASED')
    return addressOf(this.buf)
  }

  /** Ends the export: the view's export count drops and the exporter's RELEASE_BUFFER runs. Idempotent. */
  release(): void {
    if (this._lease.done) return
    backstop.unregister(this._lease)
    endLease(this._lease)
  }

  [Symbol.dispose](): void {
    this.release()
  }
}

// ---- getBuffer ----------------------------------------------------------------------------------

function isObject(x: unknown): x is object {
  return x !== null && (typeof x === 'object' || typeof x === 'function')
}

function checkFlags(flags: unknown): number {
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || flags > 0x7fffffff)
    fail('ERR_MEMVIEW_ARGUMENT', `buffer request flags must be a non-negative integer (PyBUF.*), got ${String(flags)}`)
  return flags
}

function describe(x: unknown): string {
  if (x === null) return 'null'
  if (!isObject(x)) return typeof x
  const name = (x as { constructor?: { name?: string } }).constructor?.name
  return name ? `a '${name}' object` : 'an object'
}

const UNSIGNED_OF_SIZE: Record<number, string> = { 1: 'B', 2: 'H', 4: 'I', 8: 'Q' }

/** A view over what an exporter's [BUFFER] returned. */
function viewOfExport(r: unknown, exporter: object): MemoryView {
  if (r instanceof MemoryView) {
    r._checkUsable()
    return r
  }
  if (r instanceof CyArray) {
    r.memview._checkUsable()
    return r.memview
  }
  if (r instanceof BufferInfo) {
    if (r.released) throw new BufferError('operation forbidden on released buffer', 'ERR_MEMVIEW_RELEASED')
    r.buf._checkUsable()
    return r.buf
  }
  if (r instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && r instanceof SharedArrayBuffer) || ArrayBuffer.isView(r))
    return makeTypedView(null, r, {})
  if (isObject(r) && 'buf' in r) return viewOfDescription(r as BufferDescription)
  return fail('ERR_MEMVIEW_SOURCE', `${describe(exporter)}[memview.BUFFER] returned ${describe(r)}; it must return a MemoryView or a BufferInfo`)
}

function viewOfDescription(d: BufferDescription): MemoryView {
  if (d.buf instanceof MemoryView) {
    d.buf._checkUsable()
    return d.buf
  }
  if (d.suboffsets && d.suboffsets.some((s) => s >= 0))
    fail('ERR_MEMVIEW_SOURCE', 'a buffer description over raw bytes cannot be indirect; return a MemoryView for indirect memory')
  let format = d.format ?? null
  if (format === null) {
    const n = d.itemsize ?? 1
    if (!Number.isSafeInteger(n) || n <= 0) fail('ERR_MEMVIEW_EXTENT', `itemsize must be a positive integer, got ${String(n)}`)
    format = UNSIGNED_OF_SIZE[n] ?? `${n}s`
  }
  const v = makeTypedView(null, d.buf, {
    format,
    shape: d.shape ?? undefined,
    strides: d.strides ?? undefined,
    offset: d.offset ?? 0,
    readonly: d.readonly === true,
  })
  if (d.itemsize !== undefined && d.itemsize !== v.itemsize)
    fail('ERR_MEMVIEW_DTYPE', `Item size of buffer (${d.itemsize} bytes) does not match size of '${format}' (${v.itemsize} bytes)`)
  return v
}

/**
 * A buffer over `obj` answering the request `flags` (CPython's PyObject_GetBuffer): MemoryView,
 * CyArray, ArrayBuffer, SharedArrayBuffer, TypedArray, Buffer, DataView, rows, or any exporter.
 * The export is counted until `release()`; refusals are BufferError ERR_MEMVIEW_FLAGS with
 * CPython's memoryview texts.
 *
 * @param flags PyBUF.* bits; default PyBUF.FULL_RO (everything, read-only allowed)
 * @example
 * using info = getBuffer(v, PyBUF.C_CONTIGUOUS | PyBUF.FORMAT)  // throws unless v is C-contiguous
 * info.shape    // [3, 4]
 * info.buf.get(1, 2)
 */
export function getBuffer(obj: unknown, flags: number = PyBUF.FULL_RO): BufferInfo {
  checkFlags(flags)
  let view: MemoryView
  let exporter: object | null = null
  let exported: unknown = null
  const fn = isObject(obj) ? (obj as Partial<Exporter>)[BUFFER] : undefined
  if (typeof fn === 'function') {
    exported = fn.call(obj, flags)
    try {
      view = viewOfExport(exported, obj as object)
    } catch (e) {
      callRelease(obj as object, exported)
      throw e
    }
    exporter = obj as object
  } else {
    view = makeTypedView(null, obj, {})
  }
  const d = requestBuffer(view.shape, view.strides, view.suboffsets, view.itemsize, view.readonly, flags)
  if (!d.ok) {
    if (exporter !== null) callRelease(exporter, exported)
    if (d.code === 'ERR_MEMVIEW_FLAGS') throw new BufferError(d.error, d.code)
    return fail(d.code, d.error)
  }
  const lease = startLease(view, obj, exporter, exported)
  const info = new BufferInfo(TOKEN, view, obj, flags, d, lease)
  backstop.register(info, lease, lease)
  return info
}

// ---- exporters as view() sources ------------------------------------------------------------------

// Views of an exporter: the hold ends when this view is released (see the top of this file).
const leaseOfView = new WeakMap<MemoryView, Lease>()

sourceKinds.push((src): Acquired | null => {
  if (!isObject(src) || src instanceof MemoryView || src instanceof CyArray) return null
  const fn = (src as Partial<Exporter>)[BUFFER]
  if (typeof fn !== 'function') return null
  const exported = fn.call(src, PyBUF.FULL_RO)
  let v: MemoryView
  try {
    v = viewOfExport(exported, src)
  } catch (e) {
    callRelease(src, exported)
    throw e
  }
  const lease = startLease(v, src, src, exported)
  return {
    memory: v._m,
    dtype: v._dt,
    offset: v._off,
    shape: v.shape,
    strides: v.strides,
    suboffsets: v.suboffsets,
    readonly: v.readonly,
    base: src,
    typed: true,
    region: null,
    settle: (made) => {
      if (made === null) return endLease(lease)
      leaseOfView.set(made, lease)
      backstop.register(made, lease, lease)
    },
  }
})

// MemoryView.release() ends the hold of a view made from an exporter. (view.ts's release() keeps
// the export check; this wrapper adds the lease, so view.ts needs no knowledge of exporters.)
const baseRelease = MemoryView.prototype.release
MemoryView.prototype.release = function release(this: MemoryView): void {
  baseRelease.call(this)
  const lease = leaseOfView.get(this)
  if (lease !== undefined && this._released) {
    leaseOfView.delete(this)
    backstop.unregister(lease)
    endLease(lease)
  }
}

Object.defineProperty(MemoryView.prototype, BUFFER, {
  value: function buffer(this: MemoryView): MemoryView {
    this._checkUsable()
    return this
  },
  writable: true,
  configurable: true,
})

Object.defineProperty(CyArray.prototype, BUFFER, {
  value: function buffer(this: CyArray): MemoryView {
    this.memview._checkUsable()
    return this.memview
  },
  writable: true,
  configurable: true,
})

// `exports` is the name DESIGN.md gives; a CommonJS module cannot declare it at top level.
export { exportCount as exports }
