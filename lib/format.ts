// Element types: a PEP 3118 format string, parsed once by the native core (native/core/format.cc),
// becomes a DType that knows its size and how to read and write one element. Values follow
// TypedArray conventions: 8-byte integers are bigint, '?' is boolean, complex is { re, im },
// structs are plain objects and sub-arrays are nested arrays.
import { fail } from './errors'
import { native } from './native'
import { decodeHalf, encodeHalf } from './half'

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array

export type TypedArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor

/** The native parser's description of a type (see native/core/format.h). */
export type FormatNode =
  | { kind: 'scalar'; code: string; endian: '<' | '>'; size: number; align: number }
  | { kind: 'struct'; size: number; align: number; fields: { name: string; offset: number; type: FormatNode }[] }
  | { kind: 'array'; shape: number[]; size: number; align: number; element: FormatNode }

export type Reader = (dv: DataView, byteOffset: number) => unknown
export type Writer = (dv: DataView, byteOffset: number, value: unknown) => void

export interface DType {
  readonly format: string
  readonly itemsize: number
  readonly align: number
  readonly node: FormatNode
  /** The scalar code ('i', 'd', 'e', '?', 'F' for Zf, 'D' for Zd ...) or null for structs/arrays. */
  readonly code: string | null
  /** Element group for Cython's dtype check: signed, unsigned, float, complex, bool, other. */
  readonly group: 'i' | 'u' | 'f' | 'c' | 'b' | 'other'
  /** TypedArray over native-order elements of this type, when one exists (the fast path). */
  readonly ctor: TypedArrayConstructor | null
  readonly read: Reader
  readonly write: Writer
}

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

const cache = new Map<string, DType>()

/** Parses a format once (natively) and caches its DType. */
export function dtypeOf(format: string): DType {
  let d = cache.get(format)
  if (d === undefined) {
    if (typeof format !== 'string') fail('ERR_MEMVIEW_FORMAT', `format must be a string, got ${typeof format}`)
    const parsed = JSON.parse(native.parseFormat(format)) as { itemsize: number; type: FormatNode }
    // The parser allows int64 sizes; JS indexes bytes with safe integers.
    if (!Number.isSafeInteger(parsed.itemsize)) fail('ERR_MEMVIEW_FORMAT', `format '${format}' has an itemsize beyond 2^53`)
    d = makeDType(format, parsed.type, parsed.itemsize)
    if (cache.size > 4096) cache.clear()
    cache.set(format, d)
  }
  return d
}

function makeDType(format: string, node: FormatNode, itemsize: number): DType {
  const code = node.kind === 'scalar' ? node.code : null
  const little = node.kind === 'scalar' ? node.endian === '<' : LITTLE
  const ctor = code !== null && little === LITTLE ? fastCtor(code, itemsize) : null
  return Object.freeze({
    format,
    itemsize,
    align: node.align,
    node,
    code,
    group: groupOf(code),
    ctor,
    read: reader(node),
    write: node.kind === 'scalar' ? writer(node) : allOrNothing(writer(node), itemsize),
  })
}

function fastCtor(code: string, size: number): TypedArrayConstructor | null {
  switch (code) {
    case 'b': return Int8Array
    case 'B': return Uint8Array
    case 'c': return Uint8Array
    case 'h': return Int16Array
    case 'H': return Uint16Array
    case 'i': return Int32Array
    case 'I': return Uint32Array
    case 'l': return size === 8 ? BigInt64Array : Int32Array
    case 'L': return size === 8 ? BigUint64Array : Uint32Array
    case 'q': case 'n': return BigInt64Array
    case 'Q': case 'N': case 'P': return BigUint64Array
    case 'f': return Float32Array
    case 'd': return Float64Array
    default: return null
  }
}

function groupOf(code: string | null): DType['group'] {
  if (code === null) return 'other'
  if ('bhilqn'.includes(code)) return 'i'
  if ('BHILQNc'.includes(code)) return 'u'
  if (code === '?') return 'b'
  if ('efdg'.includes(code)) return 'f'
  if ('FDG'.includes(code)) return 'c'
  return 'other'
}

// ---- codecs -----------------------------------------------------------------------------------

function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v)
  if (typeof v === 'boolean') return v ? 1n : 0n
  return fail('ERR_MEMVIEW_ARGUMENT', `cannot convert ${describe(v)} to an integer`)
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'boolean') return v ? 1 : 0
  return fail('ERR_MEMVIEW_ARGUMENT', `cannot convert ${describe(v)} to a number`)
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object'
  return typeof v === 'string' ? `'${v}'` : String(v)
}

function complexParts(v: unknown): [number, number] {
  if (typeof v === 'number') return [v, 0]
  if (v !== null && typeof v === 'object' && 're' in v) {
    const c = v as { re: unknown; im?: unknown }
    return [toNumber(c.re), c.im === undefined ? 0 : toNumber(c.im)]
  }
  return fail('ERR_MEMVIEW_ARGUMENT', `cannot convert ${describe(v)} to a complex number`)
}

function scalarReader(code: string, size: number, le: boolean): Reader {
  switch (code) {
    case 'b': return (dv, o) => dv.getInt8(o)
    case 'B': case 'c': return (dv, o) => dv.getUint8(o)
    case '?': return (dv, o) => dv.getUint8(o) !== 0
    case 'h': return (dv, o) => dv.getInt16(o, le)
    case 'H': return (dv, o) => dv.getUint16(o, le)
    case 'i': return (dv, o) => dv.getInt32(o, le)
    case 'I': return (dv, o) => dv.getUint32(o, le)
    case 'l': case 'q': case 'n':
      return size === 8 ? (dv, o) => dv.getBigInt64(o, le) : (dv, o) => dv.getInt32(o, le)
    case 'L': case 'Q': case 'N': case 'P':
      return size === 8 ? (dv, o) => dv.getBigUint64(o, le) : (dv, o) => dv.getUint32(o, le)
    case 'e': return (dv, o) => decodeHalf(dv.getUint16(o, le))
    case 'f': return (dv, o) => dv.getFloat32(o, le)
    case 'd': return (dv, o) => dv.getFloat64(o, le)
    case 'F': return (dv, o) => ({ re: dv.getFloat32(o, le), im: dv.getFloat32(o + 4, le) })
    case 'D': return (dv, o) => ({ re: dv.getFloat64(o, le), im: dv.getFloat64(o + 8, le) })
    case 's': case 'p': case 'x': // strings and named padding read as bytes (NumPy's void fields)
      return (dv, o) => new Uint8Array(dv.buffer.slice(dv.byteOffset + o, dv.byteOffset + o + size))
    default:
      return () => fail('ERR_MEMVIEW_UNSUPPORTED', `memview: unsupported format ${code}`)
  }
}

function scalarWriter(code: string, size: number, le: boolean): Writer {
  switch (code) {
    case 'b': return (dv, o, v) => dv.setInt8(o, toNumber(v))
    case 'B': case 'c': return (dv, o, v) => dv.setUint8(o, toNumber(v))
    case '?': return (dv, o, v) => dv.setUint8(o, v ? 1 : 0)
    case 'h': return (dv, o, v) => dv.setInt16(o, toNumber(v), le)
    case 'H': return (dv, o, v) => dv.setUint16(o, toNumber(v), le)
    case 'i': return (dv, o, v) => dv.setInt32(o, toNumber(v), le)
    case 'I': return (dv, o, v) => dv.setUint32(o, toNumber(v), le)
    case 'l': case 'q': case 'n':
      return size === 8 ? (dv, o, v) => dv.setBigInt64(o, toBigInt(v), le) : (dv, o, v) => dv.setInt32(o, toNumber(v), le)
    case 'L': case 'Q': case 'N': case 'P':
      return size === 8 ? (dv, o, v) => dv.setBigUint64(o, toBigInt(v), le) : (dv, o, v) => dv.setUint32(o, toNumber(v), le)
    case 'e': return (dv, o, v) => dv.setUint16(o, encodeHalf(toNumber(v)), le)
    case 'f': return (dv, o, v) => dv.setFloat32(o, toNumber(v), le)
    case 'd': return (dv, o, v) => dv.setFloat64(o, toNumber(v), le)
    case 'F':
      return (dv, o, v) => {
        const [re, im] = complexParts(v)
        dv.setFloat32(o, re, le)
        dv.setFloat32(o + 4, im, le)
      }
    case 'D':
      return (dv, o, v) => {
        const [re, im] = complexParts(v)
        dv.setFloat64(o, re, le)
        dv.setFloat64(o + 8, im, le)
      }
    case 'x':
      return () => undefined // padding keeps its bytes
    case 's': case 'p':
      return (dv, o, v) => {
        const bytes = typeof v === 'string' ? Buffer.from(v, 'latin1') : (v as Uint8Array)
        if (!(bytes instanceof Uint8Array)) fail('ERR_MEMVIEW_ARGUMENT', `cannot store ${describe(v)} in format '${code}'`)
        for (let k = 0; k < size; k++) dv.setUint8(o + k, k < bytes.length ? bytes[k] : 0)
      }
    default:
      return () => fail('ERR_MEMVIEW_UNSUPPORTED', `memview: unsupported format ${code}`)
  }
}

function reader(node: FormatNode): Reader {
  switch (node.kind) {
    case 'scalar':
      return scalarReader(node.code, node.size, node.endian === '<')
    case 'struct': {
      const fields = node.fields.map((f) => ({ name: f.name, offset: f.offset, read: reader(f.type) }))
      return (dv, o) => {
        const out: Record<string, unknown> = {}
        for (const f of fields) out[f.name] = f.read(dv, o + f.offset)
        return out
      }
    }
    case 'array': {
      const el = reader(node.element)
      const size = node.element.size
      const dims = node.shape
      const readDim = (dv: DataView, o: number, d: number): unknown[] => {
        const out: unknown[] = []
        let step = size
        for (let k = d + 1; k < dims.length; k++) step *= dims[k]
        for (let i = 0; i < dims[d]; i++) out.push(d === dims.length - 1 ? el(dv, o + i * step) : readDim(dv, o + i * step, d + 1))
        return out
      }
      return (dv, o) => readDim(dv, o, 0)
    }
  }
}

function writer(node: FormatNode): Writer {
  switch (node.kind) {
    case 'scalar':
      return scalarWriter(node.code, node.size, node.endian === '<')
    case 'struct': {
      const fields = node.fields.map((f) => ({ name: f.name, offset: f.offset, write: writer(f.type) }))
      return (dv, o, v) => {
        if (v === null || typeof v !== 'object') fail('ERR_MEMVIEW_ARGUMENT', `a struct element needs an object, got ${describe(v)}`)
        const rec = v as Record<string, unknown>
        for (const f of fields) {
          if (!(f.name in rec)) fail('ERR_MEMVIEW_ARGUMENT', `missing field '${f.name}'`)
        }
        for (const f of fields) f.write(dv, o + f.offset, rec[f.name])
      }
    }
    case 'array': {
      const el = writer(node.element)
      const size = node.element.size
      const dims = node.shape
      const writeDim = (dv: DataView, o: number, d: number, v: unknown): void => {
        if (!Array.isArray(v) || v.length !== dims[d])
          fail('ERR_MEMVIEW_ARGUMENT', `a sub-array element needs an array of length ${dims[d]}`)
        let step = size
        for (let k = d + 1; k < dims.length; k++) step *= dims[k]
        for (let i = 0; i < dims[d]; i++) {
          if (d === dims.length - 1) el(dv, o + i * step, v[i])
          else writeDim(dv, o + i * step, d + 1, v[i])
        }
      }
      return (dv, o, v) => writeDim(dv, o, 0, v)
    }
  }
}

/**
 * A struct or sub-array element is written all or nothing, as NumPy's setitem: the value is encoded
 * into a copy of the element's bytes (so padding keeps its bytes), then copied in. A bad field
 * (missing, wrong type, wrong sub-array length) leaves the element as it was.
 */
function allOrNothing(write: Writer, size: number): Writer {
  return (dv, o, v) => {
    const start = dv.byteOffset + o
    const scratch = new DataView(dv.buffer.slice(start, start + size))
    write(scratch, 0, v)
    new Uint8Array(dv.buffer, start, size).set(new Uint8Array(scratch.buffer))
  }
}

/** The format a TypedArray carries, as NumPy and CPython name it. */
export function formatOfTypedArray(ta: ArrayBufferView): string | null {
  if (ta instanceof Int8Array) return 'b'
  if (ta instanceof Uint8Array || ta instanceof Uint8ClampedArray) return 'B'
  if (ta instanceof Int16Array) return 'h'
  if (ta instanceof Uint16Array) return 'H'
  if (ta instanceof Int32Array) return 'i'
  if (ta instanceof Uint32Array) return 'I'
  if (ta instanceof Float32Array) return 'f'
  if (ta instanceof Float64Array) return 'd'
  if (ta instanceof BigInt64Array) return 'q'
  if (ta instanceof BigUint64Array) return 'Q'
  return null
}
