// MemoryView.cast(format, shape?): CPython's memoryview.cast, its rules, order of checks and texts
// (Objects/memoryobject.c memoryview_cast_impl / cast_to_1D / cast_to_ND; reference anchors B3).
//
// A cast reinterprets the bytes of a C-contiguous view: 1-D -> N-D or N-D -> 1-D, one side of a
// format change must be bytes ('b', 'B', 'c'), the destination is one native character with an
// optional '@'. The result is a new view over the same memory, C-strided, with no suboffsets, the
// same base and the same read-only flag; `shape = []` gives a 0-d view of one item.
//
// Error codes (the class follows the code, lib/errors.ts; CPython's class in brackets):
//   ERR_MEMVIEW_LAYOUT   TypeError   casts are restricted to C-contiguous views [TypeError];
//                                    cannot cast view with zeros in shape or strides [TypeError]
//   ERR_MEMVIEW_ARGUMENT TypeError   shape must be a list or a tuple [TypeError];
//                                    elements of shape must be integers [TypeError]
//   ERR_MEMVIEW_NDIM     TypeError   number of dimensions must not exceed 64 [ValueError];
//                                    cast must be 1D -> ND or ND -> 1D [TypeError]
//   ERR_MEMVIEW_FORMAT   TypeError   destination format must be a native single character ...
//                                    [ValueError]; a format that is not a string [TypeError]
//   ERR_MEMVIEW_DTYPE    TypeError   cannot cast between two non-byte formats [TypeError]
//   ERR_MEMVIEW_EXTENT   RangeError  length is not a multiple of itemsize [TypeError];
//                                    elements of shape must be integers > 0 [ValueError];
//                                    product(shape) > SSIZE_MAX [ValueError];
//                                    product(shape) * itemsize != buffer size [TypeError]
//   ERR_MEMVIEW_RELEASED BufferError a released view
// EXTENT matches what view(src, { shape, format }) already throws for the same byte-count
// mismatch. memview's largest size is Number.MAX_SAFE_INTEGER (JS numbers), where CPython's is
// SSIZE_MAX; the text is CPython's.
//
// Destination formats: CPython 3.11's set (c b B h H i I l L q Q n N f d ? P) plus 'e', which
// CPython accepts since 3.12 (gh-90751).
import { fail } from './errors'
import { dtypeOf } from './format'
import { MemoryView } from './view'

const NATIVE = /^@?([cbBhHiIlLqQnNfd?eP])$/
const isByte = (c: string | undefined): boolean => c === 'b' || c === 'B' || c === 'c'

/** C strides of a cast result (every extent is > 0 here, or the 1-D length may be 0). */
function castStrides(shape: readonly number[], itemsize: number): number[] {
  const out = new Array<number>(shape.length)
  let s = itemsize
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = s
    s *= shape[d] > 0 ? shape[d] : 1
  }
  return out
}

/**
 * `v` reinterpreted as `format` (and `shape`), as Python's memoryview.cast.
 *
 * @example view(new Uint8Array(12)).cast('i')            // 3 ints over the same bytes
 * @example view(new Uint8Array(12)).cast('B', [3, 4])    // 1-D -> 2-D
 * @example view(new Int32Array(6)).cast('B')             // N-D or non-byte -> bytes
 */
export function castView<T = unknown>(v: MemoryView, format: string, shape?: readonly number[] | null): MemoryView<T> {
  v._checkUsable()
  if (!v.isCContiguous || v._indirect) fail('ERR_MEMVIEW_LAYOUT', 'memoryview: casts are restricted to C-contiguous views')
  const hasShape = shape !== undefined && shape !== null
  if ((hasShape || v.ndim !== 1) && v.shape.includes(0))
    fail('ERR_MEMVIEW_LAYOUT', 'memoryview: cannot cast view with zeros in shape or strides')
  let ndim = 1
  if (hasShape) {
    if (!Array.isArray(shape)) fail('ERR_MEMVIEW_ARGUMENT', 'shape must be a list or a tuple')
    ndim = shape.length
    if (ndim > 64) fail('ERR_MEMVIEW_NDIM', 'memoryview: number of dimensions must not exceed 64')
    if (v.ndim !== 1 && ndim !== 1) fail('ERR_MEMVIEW_NDIM', 'memoryview: cast must be 1D -> ND or ND -> 1D')
  }

  // cast_to_1D
  if (typeof format !== 'string') fail('ERR_MEMVIEW_FORMAT', `cast() argument 'format' must be a string, not ${format === null ? 'null' : typeof format}`)
  const dest = NATIVE.exec(format)
  if (dest === null)
    fail('ERR_MEMVIEW_FORMAT', "memoryview: destination format must be a native single character format prefixed with an optional '@'")
  const src = NATIVE.exec(v.format)
  if ((src === null || !isByte(src[1])) && !isByte(dest[1])) fail('ERR_MEMVIEW_DTYPE', 'memoryview: cannot cast between two non-byte formats')
  const dtype = dtypeOf(format)
  const itemsize = dtype.itemsize
  const len = v.nbytes
  if (len % itemsize !== 0) fail('ERR_MEMVIEW_EXTENT', 'memoryview: length is not a multiple of itemsize')

  // cast_to_ND
  let outShape: number[] = [len / itemsize]
  if (hasShape) {
    outShape = new Array<number>(ndim)
    let n = itemsize
    for (let d = 0; d < ndim; d++) {
      const x = shape![d]
      if (typeof x !== 'number' || !Number.isInteger(x)) fail('ERR_MEMVIEW_ARGUMENT', 'memoryview.cast(): elements of shape must be integers')
      if (x <= 0) fail('ERR_MEMVIEW_EXTENT', 'memoryview.cast(): elements of shape must be integers > 0')
      if (x > Math.floor(Number.MAX_SAFE_INTEGER / n)) fail('ERR_MEMVIEW_EXTENT', 'memoryview.cast(): product(shape) > SSIZE_MAX')
      n *= x
      outShape[d] = x
    }
    if (n !== len) fail('ERR_MEMVIEW_EXTENT', 'memoryview: product(shape) * itemsize != buffer size')
  }
  return new MemoryView<T>({
    memory: v._m,
    dtype,
    offset: v._off,
    shape: outShape,
    strides: castStrides(outShape, itemsize),
    suboffsets: outShape.map(() => -1),
    readonly: v.readonly,
    base: v.base,
    typeName: null,
  })
}
