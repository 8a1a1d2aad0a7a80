// Views across worker_threads. v.share() gives a structured-clonable descriptor; view(descriptor)
// in another thread sees the same memory. SharedArrayBuffer memory travels as the SAB itself;
// native memory travels as a one-use ticket holding an owner reference, so the memory lives until
// the last view in any thread is gone and its free callback runs once.
import { type Acquired, readIntArray, sourceKinds } from './acquire'
import { fail } from './errors'
import { dtypeOf } from './format'
import { memoryOfBuffer, memoryOfOwner } from './memory'
import { native } from './native'
import { type MemoryView, hooks } from './view'

export interface ShareDescriptor {
  readonly $memview: 'share/1'
  readonly kind: 'sab' | 'native'
  readonly sab?: SharedArrayBuffer
  /** One-use ticket for native memory (redeemed by the first view() made from it). */
  readonly ticket?: bigint
  readonly foreign?: boolean
  readonly format: string
  readonly offset: number
  readonly shape: number[]
  readonly strides: number[]
  readonly readonly: boolean
}

function isDescriptor(x: unknown): x is ShareDescriptor {
  return x !== null && typeof x === 'object' && (x as { $memview?: unknown }).$memview === 'share/1'
}

function share(v: MemoryView): ShareDescriptor {
  v._checkUsable()
  if (v._indirect) fail('ERR_MEMVIEW_UNSUPPORTED', 'views with indirect dimensions cannot be shared between threads yet; share a copy()')
  const geometry = { format: v.format, offset: v._off, shape: v.shape.slice(), strides: v.strides.slice(), readonly: v.readonly }
  const owner = v._m.owner
  if (owner !== null) {
    if (owner.jsBuffer !== undefined)
      fail('ERR_MEMVIEW_UNSUPPORTED', 'this runtime keeps memview arrays in JS memory, which one thread cannot lend another')
    const t = owner.share()
    return Object.freeze({ $memview: 'share/1', kind: 'native', ticket: t.id, foreign: t.foreign, ...geometry })
  }
  if (typeof SharedArrayBuffer !== 'undefined' && v._m.buffer instanceof SharedArrayBuffer)
    return Object.freeze({ $memview: 'share/1', kind: 'sab', sab: v._m.buffer, ...geometry })
  return fail('ERR_MEMVIEW_UNSUPPORTED', 'an ArrayBuffer cannot be shared between threads: use a SharedArrayBuffer or memview array() memory')
}

function acquireShared(desc: ShareDescriptor): Acquired {
  // The descriptor crossed a thread boundary (or was forged): read each field once and check it.
  const shape = readIntArray(desc.shape)
  const strides = readIntArray(desc.strides)
  const offset: unknown = desc.offset
  if (shape === null || strides === null || shape.length !== strides.length || typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)
    fail('ERR_MEMVIEW_EXTENT', 'bad share() descriptor geometry')
  const d = { ...desc, shape, strides, offset: offset as number, readonly: desc.readonly === true }
  const dtype = dtypeOf(d.format)
  const memory =
    d.kind === 'sab'
      ? memoryOfBuffer(d.sab as SharedArrayBuffer)
      : memoryOfOwner(native.adoptShared(d.ticket as bigint, d.foreign === true))
  const a: Acquired = {
    memory,
    dtype,
    offset: d.offset,
    shape: d.shape,
    strides: d.strides,
    suboffsets: d.shape.map(() => -1),
    readonly: d.readonly,
    base: d.kind === 'sab' ? d.sab : memory.owner,
    typed: true,
    region: null,
  }
  // The descriptor crossed a thread boundary: check its geometry against the memory it names.
  const { lo, hi } = reach(a.shape, a.strides, dtype.itemsize)
  if (hi >= lo && (a.offset + lo < 0 || a.offset + hi >= memory.byteLength))
    fail('ERR_MEMVIEW_EXTENT', 'share() descriptor reaches outside its memory')
  return a
}

function reach(shape: readonly number[], strides: readonly number[], itemsize: number): { lo: number; hi: number } {
  let lo = 0
  let hi = itemsize - 1
  for (let d = 0; d < shape.length; d++) {
    if (!Number.isSafeInteger(shape[d]) || shape[d] < 0 || !Number.isSafeInteger(strides[d])) fail('ERR_MEMVIEW_EXTENT', 'bad share() descriptor')
    if (shape[d] === 0) return { lo: 0, hi: -1 }
    const span = (shape[d] - 1) * strides[d]
    if (span < 0) lo += span
    else hi += span
  }
  return { lo, hi }
}

sourceKinds.push((src) => (isDescriptor(src) ? acquireShared(src) : null))
hooks.share = share
