// Loads the compiled addon (a prebuild or build/Release) and wires its errors to lib/errors.ts.
import * as path from 'node:path'

import { memviewError } from './errors'

/** The JS face of one native owner (native/addon/owner_handle.h). */
export interface OwnerHandle {
  buffer(offset?: number, length?: number): ArrayBuffer
  /** An ArrayBuffer over another address a foreign owner's pointer table points to (unsafe). */
  alias(address: bigint, length: number): ArrayBuffer
  share(): { id: bigint; foreign: boolean }
  free(): void
  steal(): bigint | null
  readonly address: bigint | null
  readonly byteLength: number
  readonly kind: 'allocated' | 'foreign' | 'borrowed' | 'released'
  readonly refcount: number
  readonly freed: boolean
  /** Set (true) by free() and steal(): the same as `freed`, without a native call. */
  readonly released?: true
  /** false when memory was copied (no external buffers); absent otherwise. */
  readonly zeroCopy?: false
  readonly jsBuffer?: ArrayBuffer
}

export interface NativeAddon {
  setErrorFactory(f: (code: string, message: string) => Error): void
  allocate(nbytes: number, zero: boolean): OwnerHandle
  adopt(address: bigint, nbytes: number, free?: bigint | ((ptr: bigint) => void)): OwnerHandle
  addressOf(buf: ArrayBuffer | SharedArrayBuffer | ArrayBufferView): bigint
  capabilities(): { externalBuffers: boolean; forcedCopy: boolean }
  adoptShared(ticket: bigint, foreign: boolean): OwnerHandle
  outstandingShares(): number
  liveOwners(): number
  parseFormat(format: string): string
  kernel(
    kind: number, async: boolean, code: number, code2: number, op: number, axis: number, value: Uint8Array | undefined,
    geometry: Float64Array, ...memory: unknown[]
  ): unknown
  makeRowTable(rows: ArrayBufferView[]): ArrayBuffer
  testing: { malloc(n: number): bigint; freeAddress(): bigint; freeLoudAddress(): bigint; freeCount(): number; externalMemory(): number; reclaim(): number }
  /** The C ABI table (native/include/memview.h): an External mv_import() reads. */
  _C_API: unknown
  /** lib/capi.ts's halves of the C ABI (native/addon/c_api.cc). */
  capiSetHooks(hooks: { acquire: (...args: never[]) => unknown; release: (...args: never[]) => unknown; newView: (...args: never[]) => unknown }): void
  /** Buffers handed to C (get_buffer) and not yet released. */
  capiPins(): number
  [name: string]: unknown
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = require('node-gyp-build') as (dir: string) => NativeAddon

// MEMVIEW_ADDON points at another build of the same addon (the sanitizer build in CI).
const override = process.env.MEMVIEW_ADDON
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const native: NativeAddon = override ? (require(override) as NativeAddon) : load(path.join(__dirname, '..'))
native.setErrorFactory((code, message) => memviewError(code as Parameters<typeof memviewError>[0], message))

const hasOwn = Object.hasOwn

/** A handle's own `jsBuffer` / `zeroCopy` (native code defines them; one inherited from a
 * prototype someone changed is ignored). */
export function jsBufferOf(o: OwnerHandle): ArrayBuffer | undefined {
  return hasOwn(o, 'jsBuffer') ? o.jsBuffer : undefined
}
export function isZeroCopy(o: OwnerHandle): boolean {
  return !hasOwn(o, 'zeroCopy') || o.zeroCopy !== false
}
