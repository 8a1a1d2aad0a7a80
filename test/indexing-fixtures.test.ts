// Golden cases from NumPy (scripts/gen_index_fixtures.py -> test/fixtures/indexing.json): every
// index expression, transpose, copy and assignment must give NumPy's shape, strides, flags,
// values and error codes.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { type MemoryView, view } from '../lib/index'

type Op = { at?: string; T?: true; transpose?: number[]; copy?: 'C' | 'F' }
interface Case {
  id: number
  category: string
  kind: 'view' | 'assign'
  format: string
  itemsize: number
  nelem: number
  data?: unknown[]
  base: { shape: number[]; strides: number[]; offset: number }
  ops?: Op[]
  dst?: Op[]
  src?: { scalar?: unknown; ops?: Op[] }
  expect: { shape?: number[]; strides?: number[]; c?: boolean; f?: boolean; values?: unknown; scalar?: unknown; error?: string; op?: number; buffer?: unknown[] }
}

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures/indexing.json'), 'utf8')) as { cases: Case[] }

const MOD: Record<string, number> = { b: 128, B: 256, h: 32768, i: 32768, l: 32768, q: 32768, H: 65536, I: 65536, L: 65536, Q: 65536 }

function init(format: string, k: number): unknown {
  if (format === '?') return k % 2 === 1
  if (format === 'e' || format === 'f' || format === 'd') return k * 0.5 - 3
  if (format === 'Zf' || format === 'Zd') return { re: k, im: -k || 0 }
  const u = (7 * k + 3) % MOD[format]
  return 'BHILQ'.includes(format) || k % 2 === 0 ? u : -u
}

function fromJson(format: string, v: unknown): unknown {
  if (format === 'Zf' || format === 'Zd') return { re: (v as number[])[0], im: (v as number[])[1] }
  return v
}

/** memview's values as the fixture writes them: bigint -> number, complex -> [re, im]. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain)
  if (typeof v === 'bigint') return Number(v)
  if (v !== null && typeof v === 'object' && 're' in v) return [(v as { re: number }).re, (v as { im: number }).im]
  return v
}

function makeBase(c: Case): { flat: MemoryView; base: MemoryView } {
  const buf = new ArrayBuffer(Math.max(c.nelem, 1) * c.itemsize)
  const flat = view(buf, { format: c.format, shape: [c.nelem] })
  for (let k = 0; k < c.nelem; k++) flat.set(k, c.data ? fromJson(c.format, c.data[k]) : init(c.format, k))
  const base = view(buf, { format: c.format, shape: c.base.shape, strides: c.base.strides, offset: c.base.offset })
  return { flat, base }
}

function apply(v: unknown, op: Op): unknown {
  const m = v as MemoryView
  if (op.at !== undefined) return m.at(op.at)
  if (op.T) return m.T
  if (op.transpose) return m.transpose(...op.transpose)
  if (op.copy === 'C') return m.copy()
  if (op.copy === 'F') return m.copyFortran()
  throw new Error(`unknown op ${JSON.stringify(op)}`)
}

function runViewCase(c: Case): void {
  const { base } = makeBase(c)
  let cur: unknown = base
  const ops = c.ops!
  for (let i = 0; i < ops.length; i++) {
    if (c.expect.error !== undefined && c.expect.op === i) {
      let code: string | undefined
      try {
        apply(cur, ops[i])
      } catch (e) {
        code = (e as { code?: string }).code
      }
      expect(code, `case ${c.id}`).toBe(c.expect.error)
      return
    }
    cur = apply(cur, ops[i])
  }
  if ('scalar' in c.expect) {
    expect(plain(cur), `case ${c.id}`).toEqual(c.expect.scalar)
    return
  }
  const v = cur as MemoryView
  expect({ shape: v.shape, strides: v.strides, c: v.isCContiguous, f: v.isFContiguous, values: plain(v.tolist()) }, `case ${c.id}`).toEqual({
    shape: c.expect.shape,
    strides: c.expect.strides,
    c: c.expect.c,
    f: c.expect.f,
    values: c.expect.values,
  })
}

function runAssignCase(c: Case): void {
  const { flat, base } = makeBase(c)
  const dst = c.dst!.reduce<unknown>(apply, base) as MemoryView
  let code: string | undefined
  try {
    if (c.src!.ops) dst.assign(c.src!.ops.reduce<unknown>(apply, base) as MemoryView)
    else dst.assign(fromJson(c.format, c.src!.scalar))
  } catch (e) {
    code = (e as { code?: string }).code ?? String(e)
  }
  if (c.expect.error !== undefined) {
    expect(code, `case ${c.id}`).toBe(c.expect.error)
    return
  }
  expect(code, `case ${c.id}`).toBeUndefined()
  expect(plain(flat.tolist()), `case ${c.id}`).toEqual(c.expect.buffer)
}

const byCategory = new Map<string, Case[]>()
for (const c of fixture.cases) {
  const list = byCategory.get(c.category) ?? []
  list.push(c)
  byCategory.set(c.category, list)
}

describe('NumPy golden cases', () => {
  it('has at least 3000 cases', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(3000)
  })
  for (const [category, cases] of byCategory) {
    it(`${category} (${cases.length} cases)`, () => {
      for (const c of cases) (c.kind === 'view' ? runViewCase : runAssignCase)(c)
    })
  }
})
