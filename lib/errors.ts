// Every error memview throws carries a stable `code`. The class says what kind of mistake it is:
// TypeError for the wrong kind of buffer or declaration, RangeError for indices and extents, and
// BufferError for lifetime and export problems (as CPython's BufferError).

export type ErrorCode =
  | 'ERR_MEMVIEW_NDIM'
  | 'ERR_MEMVIEW_DTYPE'
  | 'ERR_MEMVIEW_LAYOUT'
  | 'ERR_MEMVIEW_DECLARATION'
  | 'ERR_MEMVIEW_FORMAT'
  | 'ERR_MEMVIEW_INDEX_SYNTAX'
  | 'ERR_MEMVIEW_READONLY'
  | 'ERR_MEMVIEW_ARGUMENT'
  | 'ERR_MEMVIEW_SOURCE'
  | 'ERR_MEMVIEW_INDEX'
  | 'ERR_MEMVIEW_EXTENT'
  | 'ERR_MEMVIEW_SLICE_STEP'
  | 'ERR_MEMVIEW_RELEASED'
  | 'ERR_MEMVIEW_DETACHED'
  | 'ERR_MEMVIEW_EXPORTED'
  | 'ERR_MEMVIEW_FLAGS'
  | 'ERR_MEMVIEW_NONE'
  | 'ERR_MEMVIEW_ALLOC'
  | 'ERR_MEMVIEW_UNSUPPORTED'

export class BufferError extends Error {
  code: ErrorCode
  constructor(message: string, code: ErrorCode) {
    super(message)
    this.name = 'BufferError'
    this.code = code
  }
}

const rangeCodes = new Set<ErrorCode>(['ERR_MEMVIEW_INDEX', 'ERR_MEMVIEW_EXTENT', 'ERR_MEMVIEW_SLICE_STEP'])
const bufferCodes = new Set<ErrorCode>([
  'ERR_MEMVIEW_RELEASED',
  'ERR_MEMVIEW_DETACHED',
  'ERR_MEMVIEW_EXPORTED',
  'ERR_MEMVIEW_FLAGS',
  'ERR_MEMVIEW_ALLOC',
])

/** Builds the error of the class that belongs to `code`. */
export function memviewError(code: ErrorCode, message: string): Error {
  if (bufferCodes.has(code)) return new BufferError(message, code)
  const err: Error & { code?: ErrorCode } = rangeCodes.has(code) ? new RangeError(message) : new TypeError(message)
  err.code = code
  return err
}

/** Throws the error of the class that belongs to `code`. */
export function fail(code: ErrorCode, message: string): never {
  throw memviewError(code, message)
}
