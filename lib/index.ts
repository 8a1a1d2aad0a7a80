// memview: Cython-style typed memoryviews and PEP 3118 buffers for Node.js.
import { type ViewOptions, makeTypedView } from './acquire'
import { fail } from './errors'
import { constants as bufferConstants } from 'node:buffer'

import './indirect' // registers rows of TypedArrays as a view source
import './share' // registers share() descriptors as a view source
import './capi' // the C ABI's hooks (native/include/memview.h)
import { native } from './native'
import type { ViewOf } from './types'
import type { MemoryView } from './view'

export { MemoryView } from './view'
export { CyArray, array, type ArrayOptions } from './array'
export { fromPointer, addressOf, type PointerOptions } from './pointer'
export { BufferError, type ErrorCode } from './errors'
export { ELLIPSIS, NEWAXIS, slice, SliceItem, type IndexItem } from './indexing'
export { parseDeclaration, type Declaration } from './declaration'
export type { ViewOptions } from './acquire'
export { typed } from './typed'
export { include, _C_API } from './capi'
export { ops, type BinaryOptions } from './ops'
export { conversions, type Conversion, type Safety } from './conversions'
export type { ShareDescriptor } from './share'
export type { ArgOf, ArgsOf, DeclElement, ElementOf, ReadonlyMemoryView, ViewOf } from './types'
export type { TypedArray } from './format'
export {
  BUFFER,
  RELEASE_BUFFER,
  PyBUF,
  BufferInfo,
  getBuffer,
  exports,
  type BufferDescription,
  type Exporter,
} from './protocol'

/**
 * A memoryview over `source`, typed by a Cython declaration and checked at runtime, or untyped
 * (format and shape taken from the source). Never copies.
 *
 * @example view('int[:, :, ::1]', new Int32Array(27), { shape: [3, 3, 3] })
 * @example view(new Float64Array(10))
 */
export function view<const D extends string>(decl: D, source: unknown, opts?: ViewOptions): ViewOf<D>
export function view<T = unknown>(decl: string, source: unknown, opts?: ViewOptions): MemoryView<T>
export function view<T = unknown>(source: unknown, opts?: ViewOptions): MemoryView<T>
export function view(a: unknown, b?: unknown, c?: unknown): MemoryView {
  if (typeof a === 'string') return makeTypedView(a, b, (c ?? {}) as ViewOptions)
  if (c !== undefined) fail('ERR_MEMVIEW_ARGUMENT', 'view(source, opts) takes two arguments; a declaration must be a string')
  return makeTypedView(null, a, (b ?? {}) as ViewOptions)
}

/**
 * What this runtime allows, and what memview does about it: externalBuffers false (Electron's V8
 * sandbox) makes array() live in JS memory and fromPointer copy (v.zeroCopy false);
 * externalSharedArrayBuffers is false on Node 20 (no Node-API for it), so native memory crosses
 * threads through share() tickets; maxArrayBufferLength bounds one view's memory.
 */
export const capabilities = Object.freeze({
  ...native.capabilities(),
  externalSharedArrayBuffers: false,
  maxArrayBufferLength: bufferConstants.MAX_LENGTH,
})

/** Internal counters for leak tests and diagnostics. */
export const diagnostics = {
  liveOwners: (): number => native.liveOwners(),
}
