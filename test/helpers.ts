// Shared test helpers: forcing GC until finalizers have run, and the native test hooks.
import { native } from '../lib/native'

export const gc = (globalThis as unknown as { gc: () => void }).gc

/** Runs GC and yields until `cond()` holds (finalizers run deferred), or gives up after ~5 s. */
export async function collectUntil(cond: () => boolean, tries = 250): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return true
    gc()
    await new Promise((r) => setTimeout(r, 20))
  }
  return cond()
}

/** Runs GC a few times with yields, for "this must NOT have happened" checks. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    gc()
    await new Promise((r) => setTimeout(r, 10))
  }
}

export const testing = native.testing

/** Asserts fn throws an error with the given code (and message, when given). */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (e) {
    return (e as { code?: string }).code ?? `uncoded: ${String(e)}`
  }
  return undefined
}

/** A granted buffer request as the buffers.json fixture records it (CPython's answer). */
export interface Granted {
  ndim: number
  shape: number[] | null
  strides: number[] | null
  suboffsets: number[] | null
  format: string | null
  itemsize: number
  readonly: boolean
  nbytes: number
}

/** The bytes of a hex string (the buffers.json fixture stores memory this way). */
export function bytesOf(hex: string): ArrayBuffer {
  const u8 = new Uint8Array(hex.length / 2)
  for (let i = 0; i < u8.length; i++) u8[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return u8.buffer
}

/** Contiguous strides for a shape, written out independently of lib/ (a test oracle). */
export function freshStrides(shape: number[], itemsize: number, fortran: boolean): number[] {
  const out = new Array<number>(shape.length)
  let s = itemsize
  for (let k = 0; k < shape.length; k++) {
    const d = fortran ? k : shape.length - 1 - k
    out[d] = s
    s *= shape[d]
  }
  return out
}

