// typed(): Cython's typed memoryview arguments. Each argument is converted by its declaration
// once per call ('int[:, :] input not None', 'int[:, :] output = None'); null and undefined pass
// as null unless the declaration says 'not None'.
import { makeTypedView } from './acquire'
import { type Declaration, parseDeclaration } from './declaration'
import { fail, memviewError } from './errors'
import type { ArgsOf } from './types'

/**
 * Wraps `fn` so that its first arguments are views converted and checked by `decls`.
 *
 * @example
 * const processBuffer = typed(['int[:, :] input not None', 'int[:, :] output = None'],
 *   (input, output) => output ?? input.copy())
 */
export function typed<const Ds extends readonly string[], R>(
  decls: Ds,
  fn: (...args: [...ArgsOf<Ds>, ...unknown[]]) => R,
): (...args: unknown[]) => R {
  if (!Array.isArray(decls)) fail('ERR_MEMVIEW_ARGUMENT', 'typed() needs an array of declarations')
  if (typeof fn !== 'function') fail('ERR_MEMVIEW_ARGUMENT', 'typed() needs a function')
  const parsed: Declaration[] = decls.map((d) => parseDeclaration(d))
  const names = parsed.map((d, i) => d.name ?? `arg${i}`)
  const n = parsed.length
  const wrapped = function (this: unknown, ...args: unknown[]): R {
    const converted = args.length >= n ? args.slice() : args.concat(new Array(n - args.length).fill(undefined))
    for (let i = 0; i < n; i++) {
      const value = converted[i]
      if (value === null || value === undefined) {
        if (parsed[i].notNone) fail('ERR_MEMVIEW_NONE', `Argument '${names[i]}' must not be None`)
        converted[i] = null
        continue
      }
      try {
        converted[i] = makeTypedView(decls[i], value)
      } catch (e) {
        const err = e as Error & { code?: string }
        if (typeof err.code !== 'string') throw e
        // Name the argument, keep the code and Cython's text.
        throw memviewError(err.code as never, `Argument '${names[i]}': ${err.message}`)
      }
    }
    return (fn as (...a: unknown[]) => R).apply(this, converted)
  }
  Object.defineProperty(wrapped, 'name', { value: fn.name || 'typed' })
  return wrapped
}
