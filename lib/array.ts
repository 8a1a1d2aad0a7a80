// CyArray: memory memview owns (Cython's cython.view.array), C or Fortran ordered. It has a view's
// attributes plus `mode`, and indexing delegates to its memview, as in Cython.
import { fail } from './errors'
import { dtypeOf } from './format'
import { cStrides, fStrides } from './indexing'
import { memoryOfOwner } from './memory'
import { type OwnerHandle, native } from './native'
import { MemoryView, hooks } from './view'
import { sourceKinds } from './acquire'

export interface ArrayOptions {
  shape: readonly number[]
  /** PEP 3118 element format; when omitted, `itemsize` picks unsigned bytes of that size. */
  format?: string
  itemsize?: number
  mode?: 'c' | 'fortran'
  /** false: the array does not allocate; `data` (a pointer) gives the memory. */
  allocate?: boolean
  /** Zero the memory (default true; false skips the memset for speed). */
  zero?: boolean
  /** With allocate: false, the address of the memory (bigint). */
  data?: bigint
  /** With data: called exactly once when the last view is gone (Cython's callback_free_data). */
  free?: bigint | ((ptr: bigint) => void)
}

const UNSIGNED_OF_SIZE: Record<number, string> = { 1: 'B', 2: 'H', 4: 'I', 8: 'Q' }

export class CyArray {
  #brand = true

  /** True for arrays memview made (not objects that merely inherit CyArray.prototype). */
  static isArray(x: unknown): x is CyArray {
    return typeof x === 'object' && x !== null && #brand in x
  }

  /** @internal this array's view, refusing forged arrays with a coded error */
  _view(): MemoryView {
    if (!(#brand in this)) fail('ERR_MEMVIEW_SOURCE', 'not an array made by memview')
    return this.memview
  }

  readonly shape: readonly number[]
  readonly strides: readonly number[]
  readonly suboffsets: readonly number[]
  readonly ndim: number
  readonly size: number
  readonly itemsize: number
  readonly nbytes: number
  readonly format: string
  readonly mode: 'c' | 'fortran'
  /** The view over this array's memory (its base is this array). */
  readonly memview: MemoryView
  /** @internal */ readonly _owner: OwnerHandle

  /** @internal use array() */
  constructor(owner: OwnerHandle, shape: number[], format: string, mode: 'c' | 'fortran') {
    const dtype = dtypeOf(format)
    this._owner = owner
    this.shape = Object.freeze(shape)
    this.strides = Object.freeze(mode === 'c' ? cStrides(shape, dtype.itemsize) : fStrides(shape, dtype.itemsize))
    this.suboffsets = Object.freeze(shape.map(() => -1))
    this.ndim = shape.length
    this.itemsize = dtype.itemsize
    this.format = format
    this.mode = mode
    this.size = shape.reduce((a, b) => a * b, 1)
    this.nbytes = this.size * dtype.itemsize
    this.memview = new MemoryView({
      memory: memoryOfOwner(owner),
      dtype,
      offset: 0,
      shape: this.shape,
      strides: this.strides,
      suboffsets: this.suboffsets,
      readonly: false,
      base: this,
    })
  }

  get length(): number {
    return this.shape[0]
  }

  get(...idx: number[]): unknown {
    return this._view()._getSlow(idx)
  }

  set(...args: unknown[]): void {
    this._view()._setSlow(args)
  }

  at(...index: unknown[]): unknown {
    return this._view().at(...index)
  }

  tolist(): unknown {
    return this._view().tolist()
  }

  /**
   * Frees the memory now instead of at garbage collection: every ArrayBuffer memview made over
   * it is detached first, so views and TypedArrays of it throw or read length 0, never freed
   * memory. The free callback runs once the last native pin (C ABI, workers) is gone.
   */
  free(): void {
    this._view()
    this._owner.free()
  }

  /** `using a = array(...)`: the memory is freed (as free()) when the scope ends. */
  [Symbol.dispose](): void {
    this.free()
  }

  /**
   * Takes the memory back from memview: cancels the pending free callback, detaches every
   * view, and returns the pointer, which the caller now owns. null for memory memview allocated.
   */
  steal(): bigint | null {
    this._view()
    return this._owner.steal()
  }

  get address(): bigint | null {
    this._view()
    return this._owner.address
  }
}

function checkShape(shape: unknown): number[] {
  if (!Array.isArray(shape)) fail('ERR_MEMVIEW_ARGUMENT', 'shape must be an array of integers')
  if (shape.length === 0) fail('ERR_MEMVIEW_EXTENT', 'Empty shape tuple for cython.array')
  if (shape.length > 64) fail('ERR_MEMVIEW_NDIM', 'memoryview: number of dimensions must not exceed 64')
  const copy: number[] = []
  for (let d = 0; d < shape.length; d++) {
    const n: unknown = shape[d] // read once: the copy is what is checked and used
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail('ERR_MEMVIEW_EXTENT', `Invalid shape in axis ${d}: ${typeof n === 'symbol' ? 'symbol' : String(n)}.`)
    copy.push(n)
  }
  return copy
}

/**
 * A new CyArray (Cython's `cython.view.array(shape, itemsize, format, mode, allocate_buffer)`).
 *
 * @example array({ shape: [3, 3, 3], format: 'i' })                  // zeroed, C order
 * @example array({ shape: [10, 2], format: 'i', allocate: false, data: ptr, free: freeAddr })
 */
export function array(opts: ArrayOptions): CyArray {
  if (opts === null || typeof opts !== 'object') fail('ERR_MEMVIEW_ARGUMENT', 'array() needs an options object')
  const shape = checkShape(opts.shape)
  const mode = opts.mode ?? 'c'
  if (mode !== 'c' && mode !== 'fortran') fail('ERR_MEMVIEW_ARGUMENT', `Invalid mode, expected 'c' or 'fortran', got ${String(mode)}`)
  let format = opts.format
  if (format === undefined || format === null) {
    const size = opts.itemsize
    if (size === undefined) fail('ERR_MEMVIEW_FORMAT', 'array() needs a format or an itemsize')
    if (!Number.isSafeInteger(size) || size <= 0) fail('ERR_MEMVIEW_EXTENT', 'itemsize <= 0 for cython.array')
    format = UNSIGNED_OF_SIZE[size] ?? `${size}s`
  }
  const dtype = dtypeOf(format)
  if (opts.itemsize !== undefined && opts.itemsize !== dtype.itemsize)
    fail('ERR_MEMVIEW_DTYPE', `Item size of buffer (${opts.itemsize} bytes) does not match size of '${format}' (${dtype.itemsize} bytes)`)
  let nbytes = dtype.itemsize
  for (const n of shape) nbytes *= n
  if (!Number.isSafeInteger(nbytes)) fail('ERR_MEMVIEW_ALLOC', 'unable to allocate array data.')
  let owner: OwnerHandle
  if (opts.allocate === false) {
    if (opts.data === undefined || opts.data === null) fail('ERR_MEMVIEW_ARGUMENT', 'allocate: false needs data (the address of the memory)')
    owner = native.adopt(opts.data, nbytes, opts.free)
  } else {
    if (opts.data !== undefined) fail('ERR_MEMVIEW_ARGUMENT', 'data is only valid with allocate: false')
    owner = native.allocate(nbytes, opts.zero !== false)
  }
  return new CyArray(owner, shape, format, mode)
}

// A CyArray is a view source (its base is the array itself); copies are CyArray-backed.
sourceKinds.push((src) => {
  if (!(src instanceof CyArray)) return null
  const v = src._view()
  v._checkUsable()
  return { memory: v._m, dtype: v._dt, offset: 0, shape: v.shape, strides: v.strides, suboffsets: v.suboffsets, readonly: false, base: src, typed: true, region: null }
})

// Copies of any view, 0-d included (Cython's array() refuses an empty shape; copies need not).
hooks.newArray = (shape, format, mode) => {
  const dtype = dtypeOf(format)
  const nbytes = shape.reduce((a, b) => a * b, dtype.itemsize)
  return new CyArray(native.allocate(nbytes, false), shape, format, mode).memview
}
