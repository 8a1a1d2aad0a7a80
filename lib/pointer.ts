// Raw pointers in and out (unsafe by nature: memview cannot know what a foreign address is valid
// for). fromPointer is Cython's `<int[:10, :2]> ptr`; addressOf gives a view's first element.
import { parseDeclaration } from './declaration'
import { fail } from './errors'
import { dtypeOf } from './format'
import { cStrides, fStrides } from './indexing'
import { memoryOfOwner } from './memory'
import { native } from './native'
import { MemoryView } from './view'

export interface PointerOptions {
  /** Extents, when the declaration does not give them ('int[:10, :2]' does). */
  shape?: readonly number[]
  /** Called exactly once when the last view is gone: a C `void (*)(void *)` address or a JS function. */
  free?: bigint | ((ptr: bigint) => void)
  readonly?: boolean
}

/**
 * A view over memory at a raw address (UNSAFE: the caller guarantees the memory is valid for the
 * declared extent while any view lives). Without `free` the memory is borrowed and never freed.
 *
 * @example fromPointer(ptr, 'int[:10, :2]')
 * @example fromPointer(ptr, 'double[:, :]', { shape: [3, 4], free: (p) => lib.free(p) })
 */
export function fromPointer(pointer: bigint, decl: string, opts: PointerOptions = {}): MemoryView {
  const d = parseDeclaration(decl)
  let shape: number[]
  if (opts.shape !== undefined) {
    if (!Array.isArray(opts.shape) || opts.shape.some((n) => !Number.isSafeInteger(n) || n < 0))
      fail('ERR_MEMVIEW_EXTENT', 'shape must be an array of non-negative integers')
    shape = opts.shape.slice()
  } else {
    shape = d.dims.map((dim, axis) => {
      const s = dim.slice
      if (!s || s.stop === null || s.start !== null || (s.step !== null && s.step !== 1) || s.stop < 0)
        return fail('ERR_MEMVIEW_EXTENT', `fromPointer needs the extent of axis ${axis}: declare it ('int[:10, :2]') or pass opts.shape`)
      return s.stop
    })
  }
  if (shape.length !== d.ndim) fail('ERR_MEMVIEW_NDIM', `Buffer has wrong number of dimensions (expected ${d.ndim}, got ${shape.length})`)
  if (d.dims.some((dim) => dim.access !== 'direct'))
    fail('ERR_MEMVIEW_UNSUPPORTED', 'indirect pointer declarations are not supported yet')
  const dtype = dtypeOf(d.format)
  const strides = d.contiguity === 'F' ? fStrides(shape, dtype.itemsize) : cStrides(shape, dtype.itemsize)
  let nbytes = dtype.itemsize
  for (const n of shape) nbytes *= n
  if (!Number.isSafeInteger(nbytes)) fail('ERR_MEMVIEW_EXTENT', 'extent overflows')
  const owner = native.adopt(pointer, nbytes, opts.free)
  const readonly = opts.readonly === true || d.isConst
  return new MemoryView({
    memory: memoryOfOwner(owner),
    dtype,
    offset: 0,
    shape,
    strides,
    suboffsets: shape.map(() => -1),
    readonly,
    base: owner,
    typeName: null,
  })
}

/** The bigint address of a view's element [0, ..., 0] (UNSAFE: valid while the view lives). */
export function addressOf(v: MemoryView | ArrayBufferView | ArrayBuffer | SharedArrayBuffer): bigint {
  if (v instanceof MemoryView) {
    v._checkUsable()
    const base = v._m.owner !== null ? v._m.owner.address : native.addressOf(v._m.buffer)
    if (base === null) return fail('ERR_MEMVIEW_RELEASED', 'memory was released')
    return base + BigInt(v._off)
  }
  return native.addressOf(v)
}
