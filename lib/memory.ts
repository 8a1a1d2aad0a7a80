// Memory: where a view's bytes live, as JS sees them. One Memory per backing buffer; every view
// and slice of it shares the same Memory, so TypedArrays over the buffer are made once per element
// type (a cache), never per slice.
//
// Invariant: a Memory keeps what keeps its bytes valid. JS memory (ArrayBuffer, SharedArrayBuffer)
// is kept by referencing the buffer; native memory by referencing the OwnerHandle, whose aliasing
// ArrayBuffer holds an owner reference until it is collected or detached.
import { fail } from './errors'
import type { TypedArray, TypedArrayConstructor } from './format'
import { type OwnerHandle, isZeroCopy, jsBufferOf } from './native'

export type Bytes = ArrayBuffer | SharedArrayBuffer

/** Node 20's largest ArrayBuffer (buffer.constants.MAX_LENGTH). Native memory beyond it is seen
 * through windows: WINDOW_SPAN bytes starting at multiples of WINDOW_STEP, so any range of up to
 * WINDOW_SPAN - WINDOW_STEP bytes lies inside one window. */
const MAX_BUFFER = 2 ** 32
const WINDOW_STEP = 2 ** 30
const WINDOW_SPAN = 2 ** 31

/** Resolves a pointer read from a pointer table to the Memory and byte offset it points at. */
export type PointerResolver = (address: bigint) => { memory: Memory; offset: number }

export class Memory {
  private _buffer: Bytes | null
  readonly owner: OwnerHandle | null
  readonly readonly: boolean
  /** Set for memory whose elements are pointers memview resolves (pointer tables). */
  resolver: PointerResolver | null = null
  /** Objects this memory must keep alive (rows of a pointer table, an exporter's pin). */
  keep: unknown = null
  /** For a table of rows made from TypedArrays (view(rows)): those rows, in table order. */
  rows: readonly TypedArray[] | null = null
  /** Throws when memory this table points to is gone (a detached row); run before native use. */
  checkPointees: (() => void) | null = null
  /** Byte offset of this memory within its owner's block (windows of large memory; else 0). */
  readonly start: number
  /** Native memory larger than one ArrayBuffer: JS reaches it through windows. */
  readonly windowed: boolean
  private readonly windowLength: number | null
  /** The owner's byte length, read once (it never changes; freeing shows in owner.released). */
  private readonly ownerBytes: number
  private windows: Map<number, Memory> | null = null
  private readonly typed = new Map<TypedArrayConstructor, TypedArray>()
  private dataView: DataView | null = null

  /** buffer null: native memory whose aliasing ArrayBuffer is made on first use, so wrapping
   * memory costs the same at any size (an external ArrayBuffer charges its length to V8's GC).
   * window: [start, length] of the owner's block this memory covers. */
  constructor(buffer: Bytes | null, owner: OwnerHandle | null, readonly: boolean, window: [number, number] | null = null) {
    this._buffer = buffer
    this.owner = owner
    this.readonly = readonly
    this.start = window === null ? 0 : window[0]
    this.windowLength = window === null ? null : window[1]
    this.ownerBytes = owner === null ? 0 : owner.byteLength
    this.windowed = buffer === null && window === null && owner !== null && jsBufferOf(owner) === undefined && this.ownerBytes > MAX_BUFFER
  }

  /** The ArrayBuffer or SharedArrayBuffer JS reads these bytes through. */
  get buffer(): Bytes {
    if (this._buffer === null) {
      const owner = this.owner!
      if (owner.released === true) this.detachedError()
      if (this.windowed)
        fail('ERR_MEMVIEW_UNSUPPORTED', `${this.byteLength} bytes do not fit one ArrayBuffer (at most 2^32 here); slice a smaller view`)
      const buffer = jsBufferOf(owner) ?? (this.windowLength === null ? owner.buffer() : owner.buffer(this.start, this.windowLength))
      // A view made later from this buffer (view(v.asTypedArray())) finds its owner here: native
      // code takes memview memory only together with the owner that keeps it.
      if (!this.readonly) Reflect.defineProperty(buffer, OWNER_MEMORY, { value: this }) // (false on a frozen buffer: then views of it go without)
      this._buffer = buffer
    }
    return this._buffer
  }

  /** Native memory (not a window of it, not JS memory, not a copy) whose ArrayBuffer was not made
   * yet: native code can take it as the owner's whole block. */
  get ownerBlockOnly(): boolean {
    return this._buffer === null && this.owner !== null && this.start === 0 && this.windowLength === null && jsBufferOf(this.owner) === undefined && isZeroCopy(this.owner)
  }

  /** The window of large memory holding bytes [lo, hi], or null when no window spans them. */
  window(lo: number, hi: number): Memory | null {
    const k = Math.floor(lo / WINDOW_STEP)
    const start = k * WINDOW_STEP
    const length = Math.min(WINDOW_SPAN, this.byteLength - start)
    if (hi >= start + length || lo < 0) return null
    this.windows ??= new Map()
    let w = this.windows.get(k)
    if (w === undefined) {
      w = new Memory(null, this.owner, this.readonly, [start, length])
      this.windows.set(k, w)
    }
    return w
  }

  /** Where bytes [off, off + n) of this memory are: itself, or the window of large memory. */
  locate(off: number, n: number): [Memory, number] {
    if (!this.windowed) return [this, off]
    const w = this.window(off, off + n - 1)
    if (w === null) return fail('ERR_MEMVIEW_UNSUPPORTED', 'an element larger than a window of large memory')
    return [w, off - w.start]
  }

  /** A Uint8Array over bytes [off, off + n), checked to be there. */
  bytes(off: number, n: number): Uint8Array {
    const [m, o] = this.locate(off, n)
    m.require(o + n)
    return new Uint8Array(m.buffer as ArrayBuffer, o, n)
  }

  /** The owner whose reference pins these very bytes, or null (JS memory, or a JS copy of
   * foreign memory where the runtime refuses external buffers). Native code holds it. */
  get pinningOwner(): OwnerHandle | null {
    return this.owner !== null && isZeroCopy(this.owner) ? this.owner : null
  }

  /** True once the JS buffer exists (native memory makes it lazily). */
  get materialized(): boolean {
    return this._buffer !== null
  }

  /** A TypedArray of `ctor` over the whole buffer (length-tracking for resizable buffers). */
  typedArray(ctor: TypedArrayConstructor): TypedArray {
    let ta = this.typed.get(ctor)
    if (ta === undefined) {
      this.checkAttached()
      try {
        ta = new ctor(this.buffer as ArrayBuffer)
      } catch {
        return this.detachedError() // Node 20 has no ArrayBuffer.prototype.detached to ask first
      }
      this.typed.set(ctor, ta)
    }
    return ta
  }

  /** A DataView over the whole buffer. */
  view(): DataView {
    if (this.dataView === null) {
      this.checkAttached()
      try {
        this.dataView = new DataView(this.buffer as ArrayBuffer)
      } catch {
        return this.detachedError()
      }
    }
    return this.dataView
  }

  /** Bytes currently reachable; 0 once detached or freed. */
  get byteLength(): number {
    if (this._buffer === null) return this.owner!.released === true ? 0 : (this.windowLength ?? this.ownerBytes)
    return this._buffer.byteLength
  }

  /** Throws ERR_MEMVIEW_DETACHED unless bytes [0, end) are still there. */
  require(end: number): void {
    if (this.byteLength < end) this.detachedError()
  }

  checkAttached(): void {
    // free() detaches every buffer its owner handed out, so a buffer that still has bytes proves
    // the owner alive without asking native code (this check runs before every kernel call).
    if (this.owner !== null && this.owner.released === true) this.detachedError()
  }

  detachedError(): never {
    if (this.owner !== null && this.owner.released === true)
      fail('ERR_MEMVIEW_RELEASED', 'operation forbidden on released memory: its owner was freed')
    return fail('ERR_MEMVIEW_DETACHED', 'the underlying ArrayBuffer was detached or shrunk')
  }
}

const memories = new WeakMap<object, Memory>()

/** The one Memory of a JS buffer (so all views of it share TypedArray caches). */
export function memoryOfBuffer(buffer: Bytes, readonly = false): Memory {
  if (!readonly && hasOwn(buffer, OWNER_MEMORY)) return (buffer as unknown as { [OWNER_MEMORY]: Memory })[OWNER_MEMORY]
  if (readonly) return new Memory(buffer, null, true)
  let m = memories.get(buffer)
  if (m === undefined) {
    m = new Memory(buffer, null, false)
    memories.set(buffer, m)
  }
  return m
}

/** The Memory of a native owner. */
export function memoryOfOwner(owner: OwnerHandle, readonly = false): Memory {
  // Kept on the handle itself rather than in a WeakMap: one per allocation, and weak maps make
  // every garbage collection do more work.
  const slot = owner as unknown as { [MEMORY]?: Memory }
  if (!readonly) {
    const m = slot[MEMORY]
    if (m !== undefined) return m
  }
  const m = new Memory(null, owner, readonly)
  if (!readonly) slot[MEMORY] = m
  return m
}

const MEMORY = Symbol('memview.memory')
/** On an ArrayBuffer memview made over an owner's memory: that memory. */
const OWNER_MEMORY = Symbol('memview.ownerMemory')
const hasOwn = Object.hasOwn
