// Raw pointers in and out (unsafe by nature: memview cannot know what a foreign address is valid
// for). fromPointer is Cython's `<int[:10, :2]> ptr`; addressOf gives a view's first element.
import { readIntArray } from './acquire'
import { CyArray } from './array'
import { describeType, parseDeclaration } from './declaration'
import { pointerGeometry, pointerTableMemory } from './indirect'
import { fail } from './errors'
import { dtypeOf } from './format'
import { native } from './native'
import { MemoryView } from './view'

export interface PointerOptions {
  /** Extents, when the declaration does not give them ('int[:10, :2]' does). */
  shape?: readonly number[]
  /** PIL-style suboffsets of the pointer axes (bytes added after each dereference; default 0). */
  suboffsets?: readonly number[]
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
  const optShape = opts.shape
  if (optShape !== undefined) {
    const copy = readIntArray(optShape)
    if (copy === null || copy.some((n) => n < 0)) fail('ERR_MEMVIEW_EXTENT', 'shape must be an array of non-negative integers')
    shape = copy
  } else {
    shape = d.dims.map((dim, axis) => {
      const s = dim.slice
      if (!s || s.stop === null || s.start !== null || (s.step !== null && s.step !== 1) || s.stop < 0)
        return fail('ERR_MEMVIEW_EXTENT', `fromPointer needs the extent of axis ${axis}: declare it ('int[:10, :2]') or pass opts.shape`)
      return s.stop
    })
  }
  if (shape.length !== d.ndim) fail('ERR_MEMVIEW_NDIM', `Buffer has wrong number of dimensions (expected ${d.ndim}, got ${shape.length})`)
  const dtype = dtypeOf(d.format)
  const readonly = opts.readonly === true || d.isConst
  if (d.dims.some((dim) => dim.access !== 'direct')) {
    if (d.contiguity === 'F') fail('ERR_MEMVIEW_LAYOUT', 'pointer tables are laid out in C order; declare ::1 on the last axis')
    const g = pointerGeometry(d, shape, dtype, opts.suboffsets)
    const owner = native.adopt(pointer, g.topBytes, opts.free)
    return new MemoryView({
      memory: pointerTableMemory(owner, g, dtype.itemsize, readonly),
      dtype,
      offset: 0,
      shape,
      strides: g.strides,
      suboffsets: g.suboffsets,
      readonly,
      base: owner,
      typeName: describeType(d),
    })
  }
  let nbytes = dtype.itemsize
  for (const n of shape) nbytes *= n
  if (!Number.isSafeInteger(nbytes)) fail('ERR_MEMVIEW_EXTENT', 'extent overflows')
  // As Cython's <int[:10, :2]> ptr: a cython.view.array over the pointer is the view's base.
  const arr = new CyArray(native.adopt(pointer, nbytes, opts.free), shape, d.format, d.contiguity === 'F' ? 'fortran' : 'c')
  const v = arr.memview
  return readonly ? new MemoryView({ memory: v._m, dtype, offset: 0, shape, strides: v.strides, suboffsets: v.suboffsets, readonly, base: arr, typeName: describeType(d) }) : v
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
