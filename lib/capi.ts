// The JS half of the C ABI (native/include/memview.h, native/addon/c_api.cc; DESIGN.md section 5).
//
// Other addons call memview's get_buffer / new_view from C. The native side asks these hooks:
// * acquire(value, flags): the JS getBuffer(value, flags) (lib/protocol.ts), so a C consumer
//   gets exactly what JS gets: every source view() accepts, exporters called with the flags,
//   CPython's refusals (BufferError ERR_MEMVIEW_FLAGS), and the export lease (release() of the
//   view throws ERR_MEMVIEW_EXPORTED while C holds the buffer). It returns the BufferInfo and
//   the view's descriptor in the shape of an ops.ts operand, which the native side validates
//   (check_within, pointer tables) before it hands a single byte to C.
// * release(info): release_buffer ends the lease. It never throws: an exporter's
//   [RELEASE_BUFFER] error becomes a warning, as for garbage-collected BufferInfos.
// * newView(owner, format, shape, strides, offset, readonly): a MemoryView over memory C
//   handed over (its owner frees it through the C callback after the last view is gone).
import * as path from 'node:path'

import { CyArray } from './array'
import { dtypeOf } from './format'
import { cStrides, fStrides } from './indexing'
import { memoryOfOwner } from './memory'
import { type OwnerHandle, native } from './native'
import { type BufferInfo, getBuffer } from './protocol'
import { MemoryView } from './view'

/**
 * The directory holding `memview.h`, for another addon's build: `include_dirs` in binding.gyp
 * (`"<!(node -p \"require('memview').include\")"`) or `target_include_directories` in CMake.
 *
 * @example require('memview').include   // '/.../node_modules/memview/native/include'
 */
export const include: string = path.resolve(__dirname, '..', 'native', 'include')

/** The C API table (an External `mv_import()` reads); pass `require('memview')` to C instead. */
export const _C_API: unknown = native._C_API

/** What the native side reads: [info, bytes, offset, itemsize, shape, strides, suboffsets,
 * owner, format, readonly, keep]. bytes is a Uint8Array over the whole buffer the view reads. */
type CDescriptor = [
  BufferInfo,
  Uint8Array | null,
  number,
  number,
  readonly number[],
  readonly number[],
  readonly number[],
  OwnerHandle | null,
  string,
  boolean,
  unknown,
]

function acquire(value: unknown, flags: number): CDescriptor {
  const info = getBuffer(value, flags)
  try {
    const v = info.buf
    v._checkUsable()
    const m = v._m
    if (m.checkPointees !== null) m.checkPointees() // rows: every row still attached and whole
    return [info, m.windowed ? null : (m.typedArray(Uint8Array) as Uint8Array), v._off, v.itemsize, v.shape, v.strides, v.suboffsets, m.pinningOwner, v.format, v.readonly, m.keep]
  } catch (e) {
    info.release()
    throw e
  }
}

function release(info: BufferInfo): void {
  try {
    info.release()
  } catch (e) {
    process.emitWarning(`memview: RELEASE_BUFFER of a buffer released from C threw: ${String(e)}`, 'MemviewWarning')
  }
}

function sameAxes(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function newView(owner: OwnerHandle, format: string, shape: number[], strides: number[], offset: number, readonly: boolean): MemoryView {
  const dtype = dtypeOf(format)
  // As fromPointer (Cython's `<double[:n]> ptr`): memory in C or Fortran order has a CyArray
  // over it as its base, so JS can free() it early; any other layout has the owner.
  if (!readonly && offset === 0) {
    const mode = sameAxes(strides, cStrides(shape, dtype.itemsize)) ? 'c' : sameAxes(strides, fStrides(shape, dtype.itemsize)) ? 'fortran' : null
    if (mode !== null) return new CyArray(owner, shape, format, mode).memview
  }
  return new MemoryView({
    memory: memoryOfOwner(owner, readonly),
    dtype,
    offset,
    shape,
    strides,
    suboffsets: shape.map(() => -1),
    readonly,
    base: owner,
  })
}

native.capiSetHooks({ acquire, release, newView })
