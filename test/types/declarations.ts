// Compile-time checks of the declaration-derived types (tsc -p test/types): a const view has no
// set/assign/fill, typed() infers its parameters, elements have their JS type.
import { type MemoryView, type ReadonlyMemoryView, typed, view } from '../../lib/index'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assert = <T extends true>(): T => true as T

const d = view('double[:, ::1]', new Float64Array(4), { shape: [2, 2] })
assert<Equal<typeof d, MemoryView<number>>>()
const q = view('long long[:]', new BigInt64Array(2))
assert<Equal<ReturnType<typeof q.get>, bigint>>()
const z = view('double complex[:]', new Float64Array(4))
assert<Equal<ReturnType<typeof z.get>, { re: number; im: number }>>()

const c = view('const double[:]', new Float64Array(2))
assert<Equal<typeof c, ReadonlyMemoryView<number>>>()
// @ts-expect-error const views cannot be written
c.set(0, 1)
// @ts-expect-error const views cannot be filled
c.fill(1)
// @ts-expect-error const views cannot be assigned
c.assign(1)

const f = typed(['int[:, :] input not None', 'const float[:] output = None'], (input, output) => {
  assert<Equal<typeof input, MemoryView<number>>>()
  assert<Equal<typeof output, ReadonlyMemoryView<number> | null>>()
  return input.shape[0]
})
void f
