// Gives every test file a global gc(), whatever pool vitest runs it in.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
  setFlagsFromString('--expose-gc')
  ;(globalThis as { gc?: unknown }).gc = runInNewContext('gc')
}
