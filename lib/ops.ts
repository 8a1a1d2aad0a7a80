// ops: bulk work in native kernels (native/core/kernels.h), templated over every element type,
// on any view (strided, negative strides, broadcast, indirect). *Async variants run on the libuv
// thread pool and return Promises; they hold the memory while they run, so they only take memory
// that cannot be detached under them (memview/native memory or a SharedArrayBuffer).
import { fail } from './errors'
import { dtypeOf } from './format'
import type { Memory } from './memory'
import { jsBufferOf, native } from './native'
import { MemoryView, copyInts, hooks } from './view'

const NATIVE_ORDER = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? '<' : '>'
const KERNEL_CODES = 'bBhHiIlLqQnN?efdFD'

/** The code a kernel knows an element type by, or null (byte-swapped, struct, string...). */
function kernelCode(v: MemoryView): string | null {
  const n = v._dt.node
  if (n.kind !== 'scalar' || n.endian !== NATIVE_ORDER) return null
  const c = n.code
  if (c === 'c') return 'B'
  if (c === 'P') return 'Q'
  if ((c === 'l' || c === 'L') && n.size === 4) return c === 'l' ? 'i' : 'I' // '<l' is 4 bytes
  return KERNEL_CODES.includes(c) ? c : null
}

/** One kernel operand: the memory (bytes over a whole buffer, or null beyond one ArrayBuffer, and
 * the owner handle) and the geometry native code re-checks against it. */
interface Operand {
  bytes: Uint8Array | null
  owner: unknown
  off: number
  itemsize: number
  shape: readonly number[]
  strides: readonly number[]
  subs: readonly number[]
}

function operandOf(m: Memory, off: number, itemsize: number, shape: readonly number[], strides: readonly number[], subs: readonly number[], asyncJob: boolean): Operand {
  if (m.checkPointees !== null) {
    if (asyncJob) fail('ERR_MEMVIEW_UNSUPPORTED', 'async kernels cannot pin rows of TypedArrays (they can be detached while the job runs); use the sync kernel or copy()')
    m.checkPointees()
  }
  // (memory in a JS ArrayBuffer, memview's own included where external buffers are refused, could
  // be detached and its bytes released mid-job: only native memory or a SAB is pinned for real)
  if (asyncJob && (m.pinningOwner === null || jsBufferOf(m.pinningOwner) !== undefined) && !(typeof SharedArrayBuffer !== 'undefined' && m.buffer instanceof SharedArrayBuffer))
    fail('ERR_MEMVIEW_UNSUPPORTED', 'async kernels need memory that cannot be detached while they run: memview memory (array(), copy()) or a SharedArrayBuffer')
  // Native memory without its ArrayBuffer yet (a fresh array), or beyond one ArrayBuffer, goes by
  // its owner alone: native code reads the owner's block, and no buffer is made just for this.
  const bytes = m.windowed || m.ownerBlockOnly ? null : (m.typedArray(Uint8Array) as Uint8Array)
  return { bytes, owner: m.pinningOwner, off, itemsize, shape, strides, subs }
}

function operand(v: MemoryView, asyncJob = false): Operand {
  v._checkUsable()
  return operandOf(v._m, v._off, v.itemsize, v._shape, v._strides, v._subs, asyncJob)
}

/** v seen with the given shape (NumPy broadcasting: missing leading axes, extent 1 -> stride 0). */
function broadcastOperand(v: MemoryView, shape: readonly number[], asyncJob: boolean): Operand {
  v._checkUsable()
  const nd = shape.length
  const lead = nd - v.ndim
  const st: number[] = []
  const so: number[] = []
  for (let d = 0; d < nd; d++) {
    const s = d - lead
    if (s < 0) {
      st.push(0), so.push(-1)
    } else if (v.shape[s] === shape[d]) {
      st.push(v.strides[s]), so.push(v.suboffsets[s])
    } else if (v.shape[s] === 1 && v.suboffsets[s] < 0) {
      st.push(0), so.push(-1)
    } else if (v.shape[s] === 1) {
      return broadcastOperand(v.copy(), shape, asyncJob) // a pointer axis cannot have stride 0
    } else {
      fail('ERR_MEMVIEW_EXTENT', `operands could not be broadcast together with shapes (${v.shape.join(',')}) (${shape.join(',')})`)
    }
  }
  return operandOf(v._m, v._off, v.itemsize, shape, st, so, asyncJob)
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const nd = Math.max(a.length, b.length)
  const out: number[] = []
  for (let d = 0; d < nd; d++) {
    const x = a[a.length - nd + d] ?? 1
    const y = b[b.length - nd + d] ?? 1
    if (x !== y && x !== 1 && y !== 1)
      fail('ERR_MEMVIEW_EXTENT', `operands could not be broadcast together with shapes (${a.join(',')}) (${b.join(',')})`)
    out.push(x === 1 ? y : x)
  }
  return out
}

function newView(shape: readonly number[], format: string): MemoryView {
  return hooks.newArray!(copyInts(shape), format, 'c')
}

/** Kernel numbers (native/addon/kernels_binding.cc Job::Kind). */
const KERNEL = { fill: 0, assign: 1, cast: 2, reduce: 3, reduceAxis: 4, binary: 5 } as const

interface KernelArgs {
  code?: string
  code2?: string
  op?: number
  axis?: number
  value?: Uint8Array
}

// Every operand's geometry, packed for one native call: [offset, itemsize, ndim, shape, strides,
// suboffsets] each (3 operands of at most 64 dimensions). Native code reads it during the call.
const geometry = new Float64Array(3 * (3 + 3 * 64))

function run(kind: keyof typeof KERNEL, operands: Operand[], args: KernelArgs, asyncJob: boolean): unknown {
  let p = 0
  for (const o of operands) {
    const nd = o.shape.length
    geometry[p++] = o.off
    geometry[p++] = o.itemsize
    geometry[p++] = nd
    for (let d = 0; d < nd; d++) geometry[p + d] = o.shape[d]
    for (let d = 0; d < nd; d++) geometry[p + nd + d] = o.strides[d]
    for (let d = 0; d < nd; d++) geometry[p + 2 * nd + d] = o.subs[d]
    p += 3 * nd
  }
  const [a, b, c] = operands
  return native.kernel(
    KERNEL[kind], asyncJob, args.code?.charCodeAt(0) ?? 0, args.code2?.charCodeAt(0) ?? 0, args.op ?? 0, args.axis ?? 0, args.value,
    geometry, a.bytes, a.owner, b?.bytes, b?.owner, c?.bytes, c?.owner,
  )
}

function requireCode(v: MemoryView): string {
  if (!MemoryView.isView(v)) fail('ERR_MEMVIEW_SOURCE', 'ops need views made by memview')
  const c = kernelCode(v)
  if (c === null) fail('ERR_MEMVIEW_DTYPE', `no kernel for format '${v.format}' (native byte order scalars only)`)
  return c
}

// ---- reductions -----------------------------------------------------------------------------------

const REDUCE = { sum: 0, min: 1, max: 2, mean: 3 } as const
type ReduceName = keyof typeof REDUCE

/** What a reduction along an axis stores its results as (NumPy's accumulator types). */
function axisResultFormat(code: string, op: ReduceName): string {
  if (op === 'min' || op === 'max') return code
  if (op === 'mean') return 'FD'.includes(code) ? 'Zd' : 'd'
  if ('FD'.includes(code)) return 'Zd'
  if ('efd'.includes(code)) return 'd'
  return 'BHILQN'.includes(code) ? 'Q' : 'q'
}

/** 64-bit integer element types give bigint; narrower integers give numbers, as their elements
 * do (a sum is exact below 2^53; the kernel accumulates in 64 bits either way). */
function convertScalar(r: unknown, code: string): unknown {
  return typeof r === 'bigint' && dtypeOf(code).itemsize < 8 ? Number(r) : r
}

function reduce(op: ReduceName, v: MemoryView, opts: { axis?: number } | undefined, asyncJob: boolean): unknown {
  const code = requireCode(v)
  if (opts?.axis === undefined) {
    const r = run('reduce', [operand(v, asyncJob)], { code, op: REDUCE[op] }, asyncJob)
    if (asyncJob) return (r as Promise<unknown>).then((x) => convertScalar(x, code))
    return convertScalar(r, code)
  }
  let axis = opts.axis
  if (!Number.isInteger(axis) || axis < -v.ndim || axis >= v.ndim) fail('ERR_MEMVIEW_INDEX', `axis ${axis} is out of bounds for array of dimension ${v.ndim}`)
  if (axis < 0) axis += v.ndim
  const outFormat = axisResultFormat(code, op)
  const out = newView(v.shape.filter((_, d) => d !== axis), outFormat)
  const r = run('reduceAxis', [operand(v, asyncJob), operand(out, asyncJob)], { code, code2: kernelCode(out)!, op: REDUCE[op], axis }, asyncJob)
  return asyncJob ? (r as Promise<unknown>).then(() => out) : out
}

// ---- elementwise ------------------------------------------------------------------------------------

const BINARY = { add: 0, sub: 1, mul: 2, div: 3 } as const
type BinaryName = keyof typeof BINARY

export interface BinaryOptions {
  /** Where to write the result (same shape as the broadcast result); a new array otherwise. */
  out?: MemoryView
}

function scalarView(x: unknown, format: string): MemoryView {
  const v = newView([], format)
  v.set(x as never)
  return v
}

function binary(name: BinaryName, a: MemoryView, b: MemoryView | number | bigint, opts: BinaryOptions | undefined, asyncJob: boolean): unknown {
  if (!(a instanceof MemoryView)) fail('ERR_MEMVIEW_ARGUMENT', `ops.${name} needs a view as its first operand`)
  let code = requireCode(a)
  const bv = b instanceof MemoryView ? b : scalarView(b, a.format)
  if (requireCode(bv) !== code) fail('ERR_MEMVIEW_DTYPE', `operands have different element types ('${a.format}' and '${bv.format}'); cast one first (ops.cast)`)
  let left = a
  let right = bv
  // True division of integers is floating point, as NumPy's `/`.
  if (name === 'div' && !'efdFD'.includes(code)) {
    left = castView(a, 'd')
    right = castView(bv, 'd')
    code = 'd'
  }
  const shape = broadcastShape(left.shape, right.shape)
  const out = opts?.out ?? newView(shape, left.format)
  if (!(out instanceof MemoryView)) fail('ERR_MEMVIEW_ARGUMENT', 'out must be a view')
  out._checkWritable()
  if (requireCode(out) !== code) fail('ERR_MEMVIEW_DTYPE', `out has element type '${out.format}', the result is '${left.format}'`)
  if (out.shape.length !== shape.length || out.shape.some((n, d) => n !== shape[d]))
    fail('ERR_MEMVIEW_EXTENT', `out has shape (${out.shape.join(', ')}), the result has (${shape.join(', ')})`)
  const r = run('binary', [operand(out, asyncJob), broadcastOperand(left, shape, asyncJob), broadcastOperand(right, shape, asyncJob)], { code, op: BINARY[name] }, asyncJob)
  return asyncJob ? (r as Promise<unknown>).then(() => out) : out
}

// ---- conversions ------------------------------------------------------------------------------------

/** A C-contiguous copy of v with elements converted to `format` (NumPy astype, unsafe casting). */
function castView(v: MemoryView, format: string): MemoryView {
  const from = requireCode(v)
  const out = newView(v.shape, format)
  const to = requireCode(out)
  run('cast', [operand(out), operand(v)], { code: to, code2: from }, false)
  return out
}

// ---- the view's bulk paths go native ------------------------------------------------------------------

hooks.fill = (dst, scratch) => {
  const bytes = new Uint8Array((scratch as DataView).buffer.slice(0))
  run('fill', [operand(dst)], { value: bytes }, false)
  return true
}

hooks.assign = (dst, src) => {
  if (dst.itemsize === src.itemsize && dst._dt.format === src._dt.format) {
    run('assign', [operand(dst), operand(src)], {}, false)
    return true
  }
  const to = kernelCode(dst)
  const from = kernelCode(src)
  if (to === null || from === null) return false
  run('cast', [operand(dst), operand(src)], { code: to, code2: from }, false)
  return true
}

// ---- the public table --------------------------------------------------------------------------------

type Reducer = (v: MemoryView, opts?: { axis?: number }) => unknown
type AsyncReducer = (v: MemoryView, opts?: { axis?: number }) => Promise<unknown>
type Binary = (a: MemoryView, b: MemoryView | number | bigint, opts?: BinaryOptions) => MemoryView
type AsyncBinary = (a: MemoryView, b: MemoryView | number | bigint, opts?: BinaryOptions) => Promise<MemoryView>

function reducer(op: ReduceName): Reducer {
  return (v, opts) => reduce(op, v, opts, false)
}
function asyncReducer(op: ReduceName): AsyncReducer {
  return (v, opts) => {
    try {
      return reduce(op, v, opts, true) as Promise<unknown>
    } catch (e) {
      return Promise.reject(e)
    }
  }
}
function binaryOp(name: BinaryName): Binary {
  return (a, b, opts) => binary(name, a, b, opts, false) as MemoryView
}
function asyncBinaryOp(name: BinaryName): AsyncBinary {
  return (a, b, opts) => {
    try {
      return binary(name, a, b, opts, true) as Promise<MemoryView>
    } catch (e) {
      return Promise.reject(e)
    }
  }
}

/**
 * Native kernels over views of every element type.
 *
 * @example ops.sum(view('int[:, :, :]', data, { shape: [40, 40, 40] }))   // 64-bit accumulation
 * @example ops.add(a, 1, { out: a })                                        // a += 1
 * @example await ops.sumAsync(big)                                          // on the thread pool
 */
export const ops = {
  sum: reducer('sum'),
  min: reducer('min'),
  max: reducer('max'),
  mean: reducer('mean'),
  add: binaryOp('add'),
  sub: binaryOp('sub'),
  mul: binaryOp('mul'),
  div: binaryOp('div'),
  /** Sets every element (dst.fill). */
  fill: <T>(v: MemoryView<T>, value: T): MemoryView<T> => v.fill(value),
  /** dst[...] = src (dst.assign): broadcasting, overlap-safe, cache-blocked for transposes. */
  copy: (dst: MemoryView, src: MemoryView | unknown): MemoryView => dst.assign(src),
  assign: (dst: MemoryView, src: MemoryView | unknown): MemoryView => dst.assign(src),
  /** A new C-contiguous view with the elements converted to `format`. */
  cast: (v: MemoryView, format: string): MemoryView => castView(v, format),
  sumAsync: asyncReducer('sum'),
  minAsync: asyncReducer('min'),
  maxAsync: asyncReducer('max'),
  meanAsync: asyncReducer('mean'),
  addAsync: asyncBinaryOp('add'),
  subAsync: asyncBinaryOp('sub'),
  mulAsync: asyncBinaryOp('mul'),
  divAsync: asyncBinaryOp('div'),
  fillAsync: <T>(v: MemoryView<T>, value: T): Promise<MemoryView<T>> => {
    try {
      v._checkWritable()
      const scratch = new DataView(new ArrayBuffer(v.itemsize))
      v._dt.write(scratch, 0, value)
      const r = run('fill', [operand(v, true)], { value: new Uint8Array(scratch.buffer) }, true) as Promise<unknown>
      return r.then(() => v)
    } catch (e) {
      return Promise.reject(e)
    }
  },
  copyAsync: (dst: MemoryView, src: MemoryView): Promise<MemoryView> => {
    try {
      dst._checkWritable()
      if (dst.format !== src.format) fail('ERR_MEMVIEW_DTYPE', 'copyAsync needs equal element types; use ops.cast first')
      const r = run('assign', [operand(dst, true), broadcastOperand(src, dst.shape, true)], {}, true) as Promise<unknown>
      return r.then(() => dst)
    } catch (e) {
      return Promise.reject(e)
    }
  },
}
