// Type-level reading of declarations: 'const double[:, ::1]' -> ReadonlyMemoryView<number>, so a
// const view has no set/assign/fill in its type and elements have their JS type.
import type { MemoryView } from './view'

type Trim<S extends string> = S extends ` ${infer R}` ? Trim<R> : S extends `${infer R} ` ? Trim<R> : S

type BigIntNames = 'long' | 'unsigned long' | 'long long' | 'unsigned long long' | 'int64_t' | 'uint64_t' | 'Py_ssize_t' | 'size_t'
type ComplexNames = 'float complex' | 'double complex'

/** The JS type of one element of a C type name. */
export type ElementOf<Name extends string> = Name extends BigIntNames
  ? bigint
  : Name extends ComplexNames
    ? { re: number; im: number }
    : Name extends 'bint'
      ? boolean
      : number

type BaseOf<D extends string> = D extends `${infer B}[${string}` ? Trim<B> : never
type Unconst<B extends string> = B extends `const ${infer R}` ? Trim<R> : B

/** The element type a declaration string names ('int[:, :]' -> number). */
export type DeclElement<D extends string> = string extends D ? unknown : ElementOf<Unconst<BaseOf<D>>>

/** A view that cannot be written through: what a `const` declaration gives. */
export type ReadonlyMemoryView<T = unknown> = Omit<MemoryView<T>, 'set' | 'assign' | 'fill'>

/** The view type a declaration string gives. */
export type ViewOf<D extends string> = BaseOf<D> extends `const ${string}` ? ReadonlyMemoryView<DeclElement<D>> : MemoryView<DeclElement<D>>

/** The parameter type of one typed() declaration: nullable unless 'not None'. */
export type ArgOf<D extends string> = D extends `${string} not None` ? ViewOf<D> : ViewOf<D> | null

/** Parameter types of a typed() declaration list. */
export type ArgsOf<Ds extends readonly string[]> = { [K in keyof Ds]: Ds[K] extends string ? ArgOf<Ds[K]> : never }
