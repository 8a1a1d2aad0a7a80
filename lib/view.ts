// MemoryView: Cython's typed memoryview for JS. A view is a descriptor (memory, offset, shape,
// strides, suboffsets, dtype); element access reads the memory through a TypedArray or DataView
// aliasing the same bytes, with index arithmetic the JIT inlines. Slicing makes a new descriptor,
// never a copy and never a native call.
import { inspect } from 'node:util'

import { castView } from './cast'
import { BufferError, fail } from './errors'
import { type DType, type TypedArray, type TypedArrayConstructor } from './format'
import {
  type Geometry,
  type IndexItem,
  applyIndex,
  contiguity,
  isElementRef,
  normalizeIndex,
  parseIndex,
  transposeGeometry,
} from './indexing'
import type { Memory } from './memory'
import { isZeroCopy } from './native'
import { installAccessors, outOfBounds } from './access'
import { formatView } from './repr'

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** Everything a view is made of. */
export interface ViewInit {
  memory: Memory
  dtype: DType
  offset: number
  shape: readonly number[]
  strides: readonly number[]
  suboffsets: readonly number[]
  readonly: boolean
  base: unknown
  /** The element type as declared ('int', 'const double'), for display. */
  typeName?: string | null
}

/** Hooks other modules install (array.ts makes copies; ops.ts runs bulk kernels). */
export const hooks = {
  newArray: null as null | ((shape: number[], format: string, mode: 'c' | 'fortran') => MemoryView),
  assign: null as null | ((dst: MemoryView, src: MemoryView) => boolean),
  fill: null as null | ((dst: MemoryView, value: unknown) => boolean),
  share: null as null | ((v: MemoryView) => unknown),
}

const EMPTY_ROWS: TypedArray[] = []
const EMPTY_OFFSETS: number[] = []

/** A copy of a geometry array. Not slice(): views hand out their arrays frozen, and V8's slice()
 * of a frozen array takes a slow generic path (about 1 us per view made from another view). */
export function copyInts(a: readonly number[]): number[] {
  const n = a.length
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) out[i] = a[i]
  return out
}


export class MemoryView<T = unknown> {
  // Only objects this constructor made pass isView(): Object.create(MemoryView.prototype) or copies
  // of a view's fields are refused with a coded error wherever a view is used.
  #brand = true

  /** True for views memview made (not objects that merely inherit MemoryView.prototype). */
  static isView(x: unknown): x is MemoryView {
    return typeof x === 'object' && x !== null && #brand in x
  }

  /** @internal the geometry, owned by this view and never mutated or handed out */
  _shape: readonly number[]
  /** @internal */ _strides: readonly number[]
  /** @internal */ _subs: readonly number[]
  /** @internal */ _ndim: number
  /** @internal */ _readonly: boolean
  /** @internal */ _size: number
  /** @internal */ _base: unknown

  /** @internal */ _m: Memory
  /** @internal */ _dt: DType
  /** @internal byte offset of element [0, ..., 0] in _m */ _off: number
  /** @internal the fast path: a TypedArray over _m, or null (DataView, indirect or released) */
  _ta: TypedArray | null
  /** @internal element offset and element strides, valid on the fast path */ _eo: number
  /** @internal */ _s0: number
  /** @internal */ _s1: number
  /** @internal */ _s2: number
  /** @internal */ _s3: number
  /** @internal */ _e0: number
  /** @internal */ _e1: number
  /** @internal */ _e2: number
  /** @internal */ _e3: number
  /** @internal 'bigint' or 'number': what the fast-path TypedArray stores */ _vt: string
  /** @internal */ _released = false
  /** @internal buffers exported through getBuffer and not yet released */ _exports = 0
  /** @internal */ _typeName: string | null
  /** @internal one past the highest byte reachable directly (for detach checks) */ _end: number
  /** @internal true when any axis is indirect */ _indirect: boolean
  /** @internal T** fast path: only axis 0 is a pointer axis and rows are typed and aligned */
  _rowsOk: boolean
  /** @internal per row: the TypedArray aliasing it (filled lazily) and the element offset */
  _rowTA: TypedArray[]
  /** @internal */ _rowEo: number[]
  private _flags: { c: boolean; f: boolean } | null = null

  /**
   * @internal `owned`: the geometry arrays are fresh and become the view's (slicing passes them
   * straight from applyIndex); otherwise they are copied, so no caller can change them later.
   */
  constructor(init: ViewInit, owned = false) {
    const { memory, dtype } = init
    const shape = owned ? init.shape : copyInts(init.shape)
    const strides = owned ? init.strides : copyInts(init.strides)
    const suboffsets = owned ? init.suboffsets : copyInts(init.suboffsets)
    this._m = memory
    this._dt = dtype
    this._off = init.offset
    this._shape = shape
    this._strides = strides
    this._subs = suboffsets
    const ndim = shape.length
    this._ndim = ndim
    this._readonly = init.readonly || memory.readonly
    this._base = init.base
    this._typeName = init.typeName ?? null
    let size = 1
    let indirect = false
    for (let d = 0; d < ndim; d++) {
      size *= shape[d]
      if (suboffsets[d] >= 0) indirect = true
    }
    this._size = size
    this._indirect = indirect
    this._end = reachEnd(this)
    // Native memory beyond one ArrayBuffer: a view whose bytes fit one window reads through it.
    if (memory.windowed && !indirect && size > 0) {
      const w = memory.window(this._off + lowestByte(this), this._end - 1)
      if (w !== null) {
        this._m = w
        this._off -= w.start
        this._end -= w.start
      }
    }

    // The fast path needs a TypedArray of the element type whose elements line up with the view's.
    const ctor = dtype.ctor
    const bpe = dtype.itemsize
    let fast = ctor !== null && !indirect && !this._m.windowed && this._off % bpe === 0 && this._m.byteLength >= this._end
    for (let d = 0; fast && d < ndim; d++) if (strides[d] % bpe !== 0) fast = false
    // Native memory gets its TypedArray on first element access (see Memory.buffer).
    const lazy = fast && !this._m.materialized
    this._ta = fast && !lazy ? this._m.typedArray(ctor!) : null
    this._vt = ctor === BigInt64Array || ctor === BigUint64Array ? 'bigint' : 'number'
    this._eo = fast ? this._off / bpe : 0
    this._s0 = ndim > 0 ? shape[0] : 0
    this._s1 = ndim > 1 ? shape[1] : 0
    this._s2 = ndim > 2 ? shape[2] : 0
    this._s3 = ndim > 3 ? shape[3] : 0
    this._e0 = fast && ndim > 0 ? strides[0] / bpe : 0
    this._e1 = fast && ndim > 1 ? strides[1] / bpe : 0
    this._e2 = fast && ndim > 2 ? strides[2] / bpe : 0
    this._e3 = fast && ndim > 3 ? strides[3] / bpe : 0
    // Rows: pointer axis 0, direct axes after it with element-multiple strides.
    let rows = indirect && ctor !== null && suboffsets[0] >= 0 && ndim > 1
    for (let d = 1; rows && d < ndim; d++) if (suboffsets[d] >= 0 || strides[d] % bpe !== 0) rows = false
    this._rowsOk = rows
    this._rowTA = rows ? new Array(shape[0]) : EMPTY_ROWS
    this._rowEo = rows ? new Array(shape[0]) : EMPTY_OFFSETS
    if (rows) {
      this._e1 = strides[1] / bpe
      this._e2 = ndim > 2 ? strides[2] / bpe : 0
      this._e3 = ndim > 3 ? strides[3] / bpe : 0
      this._prefillRows(ctor!, bpe, strides[0], suboffsets[0])
    }
    // Own get/set specialised for this view (lib/access.ts); the prototype's handle the rest.
    if (lazy) {
      this.get = LAZY_GET as typeof this.get
      this.set = LAZY_SET as typeof this.set
    } else {
      this._installAccessors()
    }
  }

  /** @internal own get/set specialised for this view (lib/access.ts); the prototype's do the rest */
  _installAccessors(): void {
    installAccessors(this as MemoryView, GENERIC_GET as never, GENERIC_SET as never)
  }

  /** @internal first element access of a view over native memory: make its TypedArray now */
  _materialize(): void {
    this._checkUsable()
    this._ta = this._m.typedArray(this._dt.ctor!)
    this._installAccessors()
  }

  // ---- element access (hot path: no allocation, no Node-API) -----------------------------------

  /**
   * The element at the given indices (one per axis; negative counts from the end).
   * @example v.get(1, 2)   // buf[1, 2]
   * @example v.get(-1, -2) // buf[-1, -2]
   */
  get(i?: number, j?: number, k?: number, l?: number): T {
    // Views with a fast path get their own specialised get (lib/access.ts) when they are made;
    // this one serves the rest: DataView formats, indirect views, ndim > 3, released views.
    void i, void j, void k, void l
    return this._getSlow(Array.prototype.slice.call(arguments)) as T
  }

  /**
   * Stores `value` at the given indices: `set(i, j, value)` on a 2-D view.
   * @example v.set(0, 0, 0, 100)   // carr_view[0, 0, 0] = 100
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  set(i?: any, j?: any, k?: any, l?: any, m?: any): void {
    void i, void j, void k, void l, void m
    this._setSlow(Array.prototype.slice.call(arguments))
  }

  /** @internal Rows given as TypedArrays (view(rows)) are known before any access: set them now,
   * so a loop's get() never takes its first-touch branch, whose mere presence in V8's optimized
   * loop costs about 1.5 ns per element (it may write the view, so no field load is reused). */
  private _prefillRows(ctor: TypedArrayConstructor, bpe: number, stride0: number, sub0: number): void {
    const rows = this._m.rows
    const PTR = 8 // bytes per table entry
    if (rows === null || this._off % PTR !== 0 || stride0 % PTR !== 0 || sub0 % bpe !== 0) return
    if (Object.getPrototypeOf(rows[0]) !== ctor.prototype) return
    for (let i = 0; i < this._s0; i++) {
      const row = rows[(this._off + i * stride0) / PTR]
      if (row === undefined) return // (the geometry was checked against the table: cannot happen)
      this._rowTA[i] = row
      this._rowEo[i] = sub0 / bpe
    }
  }

  /** @internal resolves row i of a T** view to a TypedArray over the row's memory. */
  _resolveRow(i: number): TypedArray | null {
    this._checkUsable()
    const loc = derefPointer(this._m, this._off + i * this._strides[0], this._subs[0])
    const bpe = this.itemsize
    if (loc.offset % bpe !== 0) {
      // A row that does not line up with TypedArray elements: this view uses DataView reads.
      this._rowsOk = false
      return null
    }
    const ta = loc.memory.typedArray(this._dt.ctor!)
    this._rowTA[i] = ta
    this._rowEo[i] = loc.offset / bpe
    return ta
  }

  /** @internal converts a value for the fast path's TypedArray (bigint <-> number) */
  _coerce(value: unknown): unknown {
    return coerce(value, this._vt)
  }

  /** @internal any ndim, any memory: checks indices, then reads through the element's location. */
  _getSlow(idx: unknown[]): unknown {
    this._checkUsable()
    const [mem, off] = this._locate(idx, 'get')
    return this._read(mem, off)
  }

  /** @internal */
  _setSlow(args: unknown[]): void {
    this._checkUsable()
    this._checkWritable()
    const value = args.pop()
    const [mem, off] = this._locate(args, 'set')
    this._write(mem, off, value)
  }

  /** @internal the memory and byte offset of the element at `idx` (validated). */
  _locate(idx: unknown[], what: string): [Memory, number] {
    const ndim = this.ndim
    if (idx.length !== ndim)
      fail('ERR_MEMVIEW_INDEX', `${what}() needs ${ndim} ${ndim === 1 ? 'index' : 'indices'} on a ${ndim}-dimensional view, got ${idx.length}`)
    let mem = this._m
    let off = this._off
    for (let d = 0; d < ndim; d++) {
      let x = idx[d]
      if (typeof x === 'bigint') x = Number(x)
      if (typeof x !== 'number' || !Number.isInteger(x)) fail('ERR_MEMVIEW_INDEX_SYNTAX', `Cannot index with type '${typeName(x)}'`)
      let i = x as number
      const n = this._shape[d]
      if (i < 0) i += n
      if (i < 0 || i >= n) outOfBounds(d)
      off += i * this._strides[d]
      const sub = this._subs[d]
      if (sub >= 0) {
        const loc = derefPointer(mem, off, sub)
        mem = loc.memory
        off = loc.offset
      }
    }
    return [mem, off]
  }

  /** @internal reads one element (validating the bytes are still there). */
  _read(mem: Memory, off: number): unknown {
    if (mem.windowed) [mem, off] = mem.locate(off, this.itemsize)
    mem.require(off + this.itemsize)
    return this._dt.read(mem.view(), off)
  }

  /** @internal */
  _write(mem: Memory, off: number, value: unknown): void {
    if (mem.windowed) [mem, off] = mem.locate(off, this.itemsize)
    mem.require(off + this.itemsize)
    this._dt.write(mem.view(), off, value)
  }

  // ---- indexing and view algebra ----------------------------------------------------------------

  /**
   * A Python index expression: `v.at('1:102:2, :')`, `v.at('..., None')`, `v.at(-1, 2)`, or
   * programmatically `v.at(1, slice(1, 102, 2), ELLIPSIS, NEWAXIS)`. All integers give an element;
   * anything else a view sharing memory (NumPy's shape and strides).
   */
  at(...index: unknown[]): MemoryView<T> | T {
    this._checkUsable()
    let items: readonly IndexItem[]
    if (index.length === 1 && typeof index[0] === 'string') items = parseIndex(index[0])
    else items = normalizeIndex(index)
    const r = applyIndex(this._geometry(), items, derefSpace)
    if (isElementRef(r)) return this._read(r.space as Memory, r.offset) as T
    return this._derive(r)
  }

  /** The transposed view (axes reversed); refused for indirect dimensions, as in Cython. */
  get T(): MemoryView<T> {
    return this.transpose()
  }

  /** A view with permuted axes (`transpose(1, 0, 2)`); no axes reverses them. */
  transpose(...axes: number[]): MemoryView<T> {
    this._checkUsable()
    const g = transposeGeometry(this._geometry(), axes.length ? axes : undefined)
    return this._derive(g)
  }

  /** @internal */
  _geometry(): Geometry {
    return {
      offset: this._off,
      shape: this._shape as number[],
      strides: this._strides as number[],
      suboffsets: this._subs as number[],
      space: this._m,
    }
  }

  /** @internal a view of the same type and base over new geometry. */
  _derive(g: Geometry): MemoryView<T> {
    return new MemoryView<T>(
      {
        memory: g.space as Memory,
        dtype: this._dt,
        offset: g.offset,
        shape: g.shape,
        strides: g.strides,
        suboffsets: g.suboffsets,
        readonly: this.readonly,
        base: this.base,
        typeName: this._typeName,
      },
      true,
    )
  }

  /** Extent of each axis (a frozen array). */
  get shape(): readonly number[] {
    // The view's own array, frozen on first use (never mutated by memview, now by nobody).
    const a = this._shape
    return Object.isFrozen(a) ? a : Object.freeze(a)
  }

  /** Bytes to step along each axis (PEP 3118 strides; frozen). */
  get strides(): readonly number[] {
    const a = this._strides
    return Object.isFrozen(a) ? a : Object.freeze(a)
  }

  /** Per axis: < 0 for direct, else the offset added after following the pointer (frozen). */
  get suboffsets(): readonly number[] {
    const a = this._subs
    return Object.isFrozen(a) ? a : Object.freeze(a)
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this._ndim
  }

  /** Bytes per element. */
  get itemsize(): number {
    return this._dt.itemsize
  }

  /** The PEP 3118 format of the elements. */
  get format(): string {
    return this._dt.format
  }

  /** Whether writes are refused. */
  get readonly(): boolean {
    return this._readonly
  }

  /** Number of elements (product of the shape; 1 for 0-d). */
  get size(): number {
    return this._size
  }

  /** size * itemsize. */
  get nbytes(): number {
    return this._size * this._dt.itemsize
  }

  /** The object the memory came from (kept through slices, .T and casts). */
  get base(): unknown {
    return this._base
  }

  // ---- attributes ---------------------------------------------------------------------------------

  /** NumPy's C_CONTIGUOUS flag (axes of extent 1 ignored; Cython's is_c_contig() is stricter). */
  get isCContiguous(): boolean {
    return this._contig().c
  }

  /** NumPy's F_CONTIGUOUS flag. */
  get isFContiguous(): boolean {
    return this._contig().f
  }

  private _contig(): { c: boolean; f: boolean } {
    if (this._flags === null) this._flags = contiguity(this._shape as number[], this._strides as number[], this._subs as number[], this.itemsize)
    return this._flags
  }

  /** len(view): the extent of the first axis (0 for a 0-d view, as Cython). */
  get length(): number {
    return this.ndim === 0 ? 0 : this._shape[0]
  }

  /** True when the view aliases its source's memory (false only for copying fallbacks). */
  get zeroCopy(): boolean {
    const o = this._m.owner
    return o === null || isZeroCopy(o)
  }

  // ---- copies and assignment ------------------------------------------------------------------------

  /** A C-contiguous copy in new memory (a CyArray-backed view, writable). */
  copy(): MemoryView<T> {
    return this._copyInto('c')
  }

  /** A Fortran-contiguous copy in new memory. */
  copyFortran(): MemoryView<T> {
    return this._copyInto('fortran')
  }

  private _copyInto(mode: 'c' | 'fortran'): MemoryView<T> {
    this._checkUsable()
    const out = hooks.newArray!(copyInts(this._shape), this.format, mode) as MemoryView<T>
    out._typeName = this._typeName?.replace(/^const /, '') ?? null
    out._assignFrom(this, true)
    return out
  }

  /**
   * `dst[...] = src`: copies a view (extents must match; extent-1 and missing leading axes
   * broadcast) or broadcasts a scalar. Correct when source and destination overlap.
   */
  assign(src: MemoryView | unknown): this {
    this._checkUsable()
    this._checkWritable()
    if (src instanceof MemoryView) this._assignFrom(src)
    else this.fill(src as T)
    return this
  }

  /** Sets every element to `value`. */
  fill(value: T): this {
    this._checkUsable()
    this._checkWritable()
    if (this.size === 0) return this
    // Encode once, then copy the bytes everywhere (Cython converts the scalar once, too).
    const scratch = new DataView(new ArrayBuffer(this.itemsize))
    this._dt.write(scratch, 0, value)
    if (hooks.fill !== null && hooks.fill(this, scratch)) return this
    const bytes = new Uint8Array(scratch.buffer)
    forEachElement(this, (mem, off) => mem.bytes(off, bytes.length).set(bytes))
    return this
  }

  /** @internal `fresh`: this view's memory was just allocated, so nothing can overlap it. */
  _assignFrom(src: MemoryView, fresh = false): void {
    src._checkUsable()
    const b = broadcastTo(src, this._shape)
    if (b.size === 0) return
    if (hooks.assign !== null && hooks.assign(this, b)) return
    const source = !fresh && mayOverlap(this, b) ? b.copy() : b
    const same = source._dt.format === this._dt.format
    const dstIt = elementLocations(this)
    const srcIt = elementLocations(source)
    const n = this.itemsize
    for (let k = 0; k < dstIt.length; k++) {
      const [dm, doff] = dstIt[k]
      const [sm, soff] = srcIt[k]
      if (same) {
        dm.bytes(doff, n).set(sm.bytes(soff, n))
      } else {
        this._write(dm, doff, convertValue(source._read(sm, soff), this._dt))
      }
    }
  }

  // ---- conversions out ----------------------------------------------------------------------------------

  /** Nested arrays of the elements (copies), as memoryview.tolist(). */
  tolist(): unknown {
    this._checkUsable()
    const walk = (mem: Memory, off: number, d: number): unknown => {
      if (d === this.ndim) return this._read(mem, off)
      const out = new Array(this._shape[d])
      const stride = this._strides[d]
      const sub = this._subs[d]
      for (let i = 0; i < out.length; i++) {
        let m = mem
        let o = off + i * stride
        if (sub >= 0) {
          const loc = derefPointer(m, o, sub)
          m = loc.memory
          o = loc.offset
        }
        out[i] = walk(m, o, d + 1)
      }
      return out
    }
    return walk(this._m, this._off, 0)
  }

  /** The elements' bytes in 'C' (default), 'F' or 'A' order, as memoryview.tobytes(); a copy. */
  tobytes(order: 'C' | 'F' | 'A' | null = 'C'): Buffer {
    this._checkUsable()
    if (order !== 'C' && order !== 'F' && order !== 'A' && order !== null) fail('ERR_MEMVIEW_ARGUMENT', "order must be 'C', 'F' or 'A'")
    const fortran = order === 'F' || (order === 'A' && this.isFContiguous && !this.isCContiguous)
    const src: MemoryView = fortran ? this.transpose() : this
    const out = Buffer.alloc(this.nbytes)
    const n = this.itemsize
    let k = 0
    for (const [mem, off] of elementLocations(src)) {
      out.set(mem.bytes(off, n), k)
      k += n
    }
    return out
  }

  /**
   * The same memory as a TypedArray: zero-copy, so it needs a C-contiguous direct view whose
   * element type has a TypedArray. Throws rather than copy (see toTypedArray).
   */
  asTypedArray(): TypedArray {
    this._checkUsable()
    const ctor = this._dt.ctor
    if (ctor === null) fail('ERR_MEMVIEW_DTYPE', `format '${this.format}' has no TypedArray; use tolist() or tobytes()`)
    if (!this.isCContiguous) fail('ERR_MEMVIEW_LAYOUT', 'memoryview: underlying buffer is not C-contiguous')
    const start = this._off + lowestByte(this)
    if (start % this.itemsize !== 0) fail('ERR_MEMVIEW_LAYOUT', 'memory is not aligned for a TypedArray of this type; use toTypedArray()')
    this._m.require(start + this.nbytes)
    return new ctor(this._m.buffer as ArrayBuffer, start, this.size)
  }

  /** A new TypedArray holding a C-order copy of the elements. */
  toTypedArray(): TypedArray {
    this._checkUsable()
    const ctor = this._dt.ctor
    if (ctor === null) fail('ERR_MEMVIEW_DTYPE', `format '${this.format}' has no TypedArray; use tolist() or tobytes()`)
    const bytes = this.tobytes('C')
    const out = new ctor(this.size)
    new Uint8Array(out.buffer).set(bytes)
    return out
  }

  /** memoryview.cast: the bytes of a C-contiguous view as another format and/or shape (lib/cast.ts). */
  cast<U = unknown>(format: string, shape?: readonly number[]): MemoryView<U> { return castView<U>(this, format, shape) }

  /**
   * A structured-clonable descriptor of this view: `view(descriptor)` in another worker_thread
   * sees the same memory (SharedArrayBuffer or memview/native memory). Each descriptor of native
   * memory makes one view; the memory lives until the last view in any thread is gone.
   */
  share(): import('./share').ShareDescriptor {
    return hooks.share!(this) as import('./share').ShareDescriptor
  }

  // ---- lifetime -------------------------------------------------------------------------------------

  /** Ends this view's hold on its memory; later use throws ERR_MEMVIEW_RELEASED. Slices made
   * earlier keep the memory alive. */
  release(): void {
    if (this._released) return
    if (this._exports > 0)
      throw new BufferError(`memoryview has ${this._exports} exported buffer${this._exports === 1 ? '' : 's'}`, 'ERR_MEMVIEW_EXPORTED')
    this._released = true
    this._ta = null
    this._rowsOk = false
    this.get = GENERIC_GET
    this.set = GENERIC_SET
  }

  [Symbol.dispose](): void {
    this.release()
  }

  /** @internal */
  _checkUsable(): void {
    if (!(#brand in this)) fail('ERR_MEMVIEW_SOURCE', 'not a view made by memview (forged or copied fields)')
    if (this._released) throw new BufferError('operation forbidden on released memoryview object', 'ERR_MEMVIEW_RELEASED')
    this._m.checkAttached()
    if (this._m.byteLength < this._end) this._m.detachedError()
  }

  /** @internal */
  _checkWritable(): void {
    if (this.readonly) fail('ERR_MEMVIEW_READONLY', 'Cannot assign to read-only memoryview')
  }

  // ---- iteration and display --------------------------------------------------------------------------

  *[Symbol.iterator](): IterableIterator<MemoryView<T> | T> {
    if (this.ndim === 0) fail('ERR_MEMVIEW_INDEX', 'iteration over a 0-d view')
    for (let i = 0; i < this._shape[0]; i++) yield this.at(i) as MemoryView<T> | T
  }

  /** The declaration-like type of the view: `int[:, :, ::1]`. */
  get typeName(): string {
    const t = this._typeName ?? defaultTypeName(this._dt)
    const c = this.isCContiguous && this.ndim > 0 && !this._indirect
    const f = !c && this.isFContiguous && this.ndim > 1 && !this._indirect
    const dims = this._shape.map((_, d) => {
      if (this._subs[d] >= 0) return '::view.indirect'
      if ((c && d === this.ndim - 1) || (f && d === 0)) return '::1'
      return ':'
    })
    return `${t}[${dims.join(', ')}]`
  }

  toString(): string {
    return formatView(this)
  }

  [inspect.custom](): string {
    return formatView(this)
  }
}

const GENERIC_GET = MemoryView.prototype.get
const GENERIC_SET = MemoryView.prototype.set
const LAZY_GET = function (this: MemoryView, ...idx: number[]): unknown {
  this._materialize()
  return this.get(...(idx as []))
} as MemoryView['get']
const LAZY_SET = function (this: MemoryView, ...args: unknown[]): void {
  this._materialize()
  ;(this.set as (...a: unknown[]) => void)(...args)
} as MemoryView['set']

// The typed face of set(): indices then the value (the implementation takes named parameters so
// the hot path allocates no rest array).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface MemoryView<T> {
  set(...indicesThenValue: (number | T)[]): void
}

// ---- helpers shared by the view and its bulk operations ---------------------------------------------

function typeName(x: unknown): string {
  if (x === null) return 'null'
  if (Array.isArray(x)) return 'Array'
  return typeof x
}

function coerce(value: unknown, vt: string): unknown {
  if (vt === 'bigint') {
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
    if (typeof value === 'boolean') return value ? 1n : 0n
    return fail('ERR_MEMVIEW_ARGUMENT', `cannot convert ${typeName(value)} to a 64-bit integer`)
  }
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value !== 'number') return fail('ERR_MEMVIEW_ARGUMENT', `cannot convert ${typeName(value)} to a number`)
  return value
}

/** Converts a value read from one type for storage in another (C-style, as NumPy's astype). */
function convertValue(v: unknown, to: DType): unknown {
  if (to.group === 'c') return typeof v === 'object' ? v : { re: Number(v), im: 0 }
  if (v !== null && typeof v === 'object' && 're' in (v as object)) v = (v as { re: number }).re
  if (to.group === 'b') return Boolean(v)
  if (to.group === 'f') return Number(v)
  if (to.group === 'i' || to.group === 'u') {
    if (typeof v === 'boolean') return v ? 1 : 0
    if (typeof v === 'number') {
      const t = Math.trunc(v)
      return Number.isFinite(t) ? (to.itemsize === 8 ? BigInt(t) : t) : 0
    }
    return to.itemsize === 8 ? v : Number(v)
  }
  return v
}

/** Resolves a pointer axis: reads the pointer at `off` and maps it to memory memview can see. */
export function derefPointer(mem: Memory, off: number, sub: number): { memory: Memory; offset: number } {
  mem.require(off + 8)
  const address = mem.view().getBigUint64(off, LITTLE)
  if (address === 0n) fail('ERR_MEMVIEW_SOURCE', 'NULL pointer in an indirect dimension')
  if (mem.resolver === null) fail('ERR_MEMVIEW_SOURCE', 'memory holds no resolvable pointer table')
  const block = mem.resolver(address)
  return { memory: block.memory, offset: block.offset + sub }
}

function derefSpace(space: unknown, off: number, sub: number): { space: unknown; offset: number } {
  const r = derefPointer(space as Memory, off, sub)
  return { space: r.memory, offset: r.offset }
}

/** Lowest byte (relative to the offset) a direct view reaches; 0 for empty views. */
function lowestByte(v: MemoryView): number {
  if (v.size === 0) return 0
  let lo = 0
  for (let d = 0; d < v.ndim; d++) {
    const span = (v._shape[d] - 1) * v._strides[d]
    if (span < 0) lo += span
    if (v._subs[d] >= 0) break
  }
  return lo
}

/** One past the highest byte reachable through the direct part of a view. */
function reachEnd(v: MemoryView): number {
  if (v.size === 0) return 0
  let hi = 0
  let last = v.itemsize
  for (let d = 0; d < v.ndim; d++) {
    const span = (v._shape[d] - 1) * v._strides[d]
    if (span > 0) hi += span
    if (v._subs[d] >= 0) {
      last = 8
      break
    }
  }
  return v._off + hi + last
}

/** The view `src` broadcast to `shape` (Cython: leading size-1 axes; extents equal or 1). */
function broadcastTo(src: MemoryView, shape: readonly number[]): MemoryView {
  const nd = shape.length
  if (src.ndim > nd) {
    let extra = true
    for (let d = 0; d < src.ndim - nd; d++) if (src._shape[d] !== 1) extra = false
    if (!extra)
      fail('ERR_MEMVIEW_EXTENT', `could not broadcast input array from shape (${src._shape.join(', ')}) into shape (${shape.join(', ')})`)
  }
  const lead = nd - src.ndim
  const sh: number[] = []
  const st: number[] = []
  const so: number[] = []
  let same = lead === 0
  for (let d = 0; d < nd; d++) {
    const s = d - lead
    if (s < 0) {
      sh.push(shape[d]), st.push(0), so.push(-1)
      continue
    }
    const n = src._shape[s]
    if (n === shape[d]) {
      sh.push(n), st.push(src._strides[s]), so.push(src._subs[s])
    } else if (n === 1) {
      // A pointer axis cannot take stride 0: broadcast a direct copy instead.
      if (src._subs[s] >= 0) return broadcastTo(src.copy(), shape)
      sh.push(shape[d]), st.push(0), so.push(-1)
      same = false
    } else {
      fail('ERR_MEMVIEW_EXTENT', `got differing extents in dimension ${d} (got ${shape[d]} and ${n})`)
    }
  }
  if (same) return src
  return new MemoryView({
    memory: src._m,
    dtype: src._dt,
    offset: src._off,
    shape: sh,
    strides: st,
    suboffsets: so,
    readonly: true,
    base: src.base,
  })
}

/** Whether the bytes two views reach may overlap (conservative for indirect views). */
function mayOverlap(a: MemoryView, b: MemoryView): boolean {
  if (a._indirect || b._indirect) return true
  // Same bytes: the same JS buffer, or windows (or the whole) of the same native owner.
  const sameOwner = a._m.owner !== null && a._m.owner === b._m.owner
  if (!sameOwner && (a._m.windowed || b._m.windowed || a._m.buffer !== b._m.buffer)) return false
  const aLo = a._m.start + a._off + lowestByte(a)
  const bLo = b._m.start + b._off + lowestByte(b)
  return aLo < b._m.start + b._end && bLo < a._m.start + a._end
}

/** Every element's memory and byte offset, in C order. */
export function elementLocations(v: MemoryView): [Memory, number][] {
  const out: [Memory, number][] = []
  forEachElement(v, (m, o) => out.push([m, o]))
  return out
}

/** Calls fn(memory, byteOffset) for every element of v in C order, following pointer axes. */
export function forEachElement(v: MemoryView, fn: (mem: Memory, off: number) => void): void {
  if (v.size === 0) return
  const nd = v.ndim
  const walk = (mem: Memory, off: number, d: number): void => {
    if (d === nd) return fn(mem, off)
    const n = v._shape[d]
    const stride = v._strides[d]
    const sub = v._subs[d]
    for (let i = 0; i < n; i++) {
      let m = mem
      let o = off + i * stride
      if (sub >= 0) {
        const loc = derefPointer(m, o, sub)
        m = loc.memory
        o = loc.offset
      }
      walk(m, o, d + 1)
    }
  }
  walk(v._m, v._off, 0)
}

const TYPE_NAMES: Record<string, string> = {
  b: 'signed char', B: 'unsigned char', c: 'char', '?': 'bool', h: 'short', H: 'unsigned short',
  i: 'int', I: 'unsigned int', l: 'long', L: 'unsigned long', q: 'long long', Q: 'unsigned long long',
  n: 'Py_ssize_t', N: 'size_t', e: 'float16', f: 'float', d: 'double', g: 'long double',
  F: 'float complex', D: 'double complex', P: 'void *',
}

function defaultTypeName(dt: DType): string {
  return (dt.code !== null && TYPE_NAMES[dt.code]) || `'${dt.format}'`
}
