// How a view looks in util.inspect and String(): its declaration-like type, shape and values,
// laid out as NumPy's repr does, elided in the middle past 1000 elements.
import type { MemoryView } from './view'

const THRESHOLD = 1000
const EDGE = 3

function formatScalar(x: unknown): string {
  if (typeof x === 'bigint') return x.toString()
  if (typeof x === 'number') return Number.isInteger(x) ? String(x) : String(x)
  if (typeof x === 'boolean') return x ? 'True' : 'False'
  if (x instanceof Uint8Array) return JSON.stringify(Buffer.from(x).toString('latin1'))
  if (x !== null && typeof x === 'object') {
    if ('re' in x && 'im' in x) {
      const c = x as { re: number; im: number }
      return `${c.re}${c.im < 0 || Object.is(c.im, -0) ? '-' : '+'}${Math.abs(c.im)}j`
    }
    return `{${Object.entries(x).map(([k, v]) => `${k}: ${formatScalar(v)}`).join(', ')}}`
  }
  return String(x)
}

/** Nested rows of formatted elements, with '...' where the middle was elided. */
function collect(v: MemoryView, summarize: boolean): unknown {
  const rec = (sub: MemoryView | unknown, d: number): unknown => {
    if (d === v.ndim) return formatScalar(sub)
    const view = sub as MemoryView
    const n = view.shape[0]
    const idx: (number | null)[] = []
    if (summarize && n > 2 * EDGE) {
      for (let i = 0; i < EDGE; i++) idx.push(i)
      idx.push(null)
      for (let i = n - EDGE; i < n; i++) idx.push(i)
    } else {
      for (let i = 0; i < n; i++) idx.push(i)
    }
    return idx.map((i) => (i === null ? '...' : rec(view.at(i), d + 1)))
  }
  if (v.ndim === 0) return formatScalar(v.at())
  return rec(v, 0)
}

function layout(rows: unknown, width: number, indent: number, depth: number): string {
  if (!Array.isArray(rows)) return (rows as string).padStart(width)
  if (rows.length === 0) return '[]'
  if (!Array.isArray(rows[0])) return `[${rows.map((r) => (r === '...' ? r : (r as string).padStart(width))).join(', ')}]`
  const sep = ',' + '\n'.repeat(Math.max(1, depth - 1)) + ' '.repeat(indent + 1)
  return `[${rows.map((r) => (r === '...' ? '...' : layout(r, width, indent + 1, depth - 1))).join(sep)}]`
}

function widest(rows: unknown): number {
  if (!Array.isArray(rows)) return (rows as string).length
  let w = 0
  for (const r of rows) w = Math.max(w, r === '...' ? 0 : widest(r))
  return w
}

/** `<memview int[:, ::1] shape=(2, 3)>` followed by NumPy-style rows. */
export function formatView(v: MemoryView): string {
  const head = `<memview ${v.typeName} shape=(${v.shape.join(', ')}${v.ndim === 1 ? ',' : ''})${v.readonly ? ' readonly' : ''}>`
  if (v._released) return `${head} (released)`
  try {
    v._checkUsable()
  } catch {
    return `${head} (memory detached)`
  }
  const rows = collect(v, v.size > THRESHOLD)
  return `${head}\n${layout(rows, widest(rows), 0, v.ndim)}`
}
