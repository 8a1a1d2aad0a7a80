// Parser for Cython memoryview type declarations: 'int[:, :, ::1]', 'const double[::view.indirect, ::1]',
// 'int[1:102:2, :]', 'int[:, :] input not None'. Pure TypeScript, no native code.
//
// Layout rules and error texts follow Cython's Compiler/MemoryView.py (get_axes_specs and
// validate_axes_specs), so a declaration Cython rejects is rejected here with Cython's message.
// memview extends Cython in three ways:
//   1. Runtime slices. Cython allows a layout specifier in the step slot only; memview also accepts
//      integer start/stop/step and records them as a slice to apply to the source:
//        'int[1:102:2, :]'  dim 0 = slice(1, 102, 2), layout (direct, strided)
//        'int[::2]', 'int[::-1]'  a step other than 1 alone is a runtime slice too
//        'int[:10, :2]'  stops alone: fromPointer takes its extents from them
//      A literal step of 1 always means '::1' (C/Fortran contiguity), also next to a start/stop:
//      'int[:10:1, :10]' is Cython's Fortran-ordered pointer cast. Write '2:5' rather than '2:5:1'
//      for a plain slice. A zero step is refused with Cython's "Step must be omitted, 1, or a valid
//      specifier." (its compile-time answer to 'int[::0]').
//      A layout NAME never combines with a start or stop (Cython's "Start must not be given." /
//      "Axis specification only allowed in the 'step' slot."), nor may a start or stop be anything
//      but an integer literal.
//   2. Up to 64 dimensions (CPython's limit) instead of Cython's 7.
//   3. 'view.follow' is accepted as a specifier; Cython keeps it internal. It is only valid where
//      Cython itself infers 'follow' next to a '::1' (so 'int[::view.follow, ::1]' == 'int[:, ::1]');
//      anywhere else it is "Invalid use of the follow specifier.".
// One deliberate divergence in the checks: for a C-contiguous ('::1' last) declaration Cython's
// code searches for the *first* indirect dimension although its comment (and our reference notes)
// say the *last*, so Cython rejects 'int[::view.indirect, ::view.indirect, ::1]' with "Indirect
// dimension may not follow Fortran contiguous dimension". memview uses the last indirect dimension
// and accepts it (a superset: everything Cython accepts is accepted identically).

import { fail } from './errors.js'

export type Access = 'direct' | 'ptr' | 'full'
export type Packing = 'strided' | 'contig' | 'follow'
export type TypeGroup = 'i' | 'u' | 'f' | 'c' | 'b'

export interface SliceSpec {
  start: number | null
  stop: number | null
  step: number | null
}

export interface DimSpec {
  access: Access
  packing: Packing
  slice?: SliceSpec
}

export interface Declaration {
  source: string // the original text
  typeName: string // the element type as written, spacing normalized ('unsigned char', 'long int')
  isConst: boolean
  format: string // struct format char(s) of the element type
  itemsize: number
  group: TypeGroup // signed, unsigned, float, complex, bool
  ndim: number
  dims: DimSpec[]
  contiguity: 'C' | 'F' | null // from ::1
  name?: string
  notNone?: boolean
  defaultNone?: boolean
}

export interface TypeInfo {
  name: string // the name Cython uses in messages ('unsigned char', 'long long', 'Py_ssize_t')
  format: string
  itemsize: number
  group: TypeGroup
}

/** The largest number of dimensions memview supports (CPython's PyBUF_MAX_NDIM). */
export const MAX_DIMS = 64

// Plain char follows the C compiler's choice (Cython: IS_UNSIGNED(char)): unsigned on Linux/Android
// for ARM, PowerPC and s390x, signed elsewhere (x86, Apple arm64, Windows).
const CHAR_IS_UNSIGNED =
  typeof process !== 'undefined' &&
  process.platform !== 'darwin' &&
  process.platform !== 'win32' &&
  ['arm', 'arm64', 'ppc', 'ppc64', 's390', 's390x'].includes(process.arch)

function info(name: string, format: string, itemsize: number, group: TypeGroup): TypeInfo {
  return Object.freeze({ name, format, itemsize, group })
}

const TYPE_LIST: TypeInfo[] = [
  CHAR_IS_UNSIGNED ? info('char', 'B', 1, 'u') : info('char', 'b', 1, 'i'),
  info('signed char', 'b', 1, 'i'),
  info('unsigned char', 'B', 1, 'u'),
  info('short', 'h', 2, 'i'),
  info('signed short', 'h', 2, 'i'),
  info('unsigned short', 'H', 2, 'u'),
  info('int', 'i', 4, 'i'),
  info('signed int', 'i', 4, 'i'),
  info('unsigned int', 'I', 4, 'u'),
  info('long', 'l', 8, 'i'), // memview: long is 8 bytes everywhere (DESIGN section 2)
  info('signed long', 'l', 8, 'i'),
  info('unsigned long', 'L', 8, 'u'),
  info('long long', 'q', 8, 'i'),
  info('signed long long', 'q', 8, 'i'),
  info('unsigned long long', 'Q', 8, 'u'),
  info('float', 'f', 4, 'f'),
  info('double', 'd', 8, 'f'),
  info('float complex', 'Zf', 8, 'c'),
  info('double complex', 'Zd', 16, 'c'),
  // memview: bint is a 1-byte boolean (format '?', values are JS booleans). Cython's bint is a C int
  // (4 bytes, group signed int), which famously refuses NumPy bool arrays; JS has no int-sized bool
  // storage convention, so the struct/NumPy bool is the useful meaning here.
  info('bint', '?', 1, 'b'),
  info('Py_ssize_t', 'n', 8, 'i'),
  info('size_t', 'N', 8, 'u'),
  info('int8_t', 'b', 1, 'i'),
  info('uint8_t', 'B', 1, 'u'),
  info('int16_t', 'h', 2, 'i'),
  info('uint16_t', 'H', 2, 'u'),
  info('int32_t', 'i', 4, 'i'),
  info('uint32_t', 'I', 4, 'u'),
  info('int64_t', 'q', 8, 'i'),
  info('uint64_t', 'Q', 8, 'u'),
]

/** Element types by the name Cython uses for them. Spellings such as 'short int', 'unsigned' or
 * 'long long int' resolve to these entries (see resolveTypeName). */
export const TYPE_NAMES: Readonly<Record<string, TypeInfo>> = Object.freeze(
  Object.fromEntries(TYPE_LIST.map((t) => [t.name, t])),
)

const SINGLE_WORD_TYPES = new Set([
  'bint',
  'float',
  'double',
  'Py_ssize_t',
  'size_t',
  'int8_t',
  'uint8_t',
  'int16_t',
  'uint16_t',
  'int32_t',
  'uint32_t',
  'int64_t',
  'uint64_t',
])

/** Resolves a C type spelling ('short int', 'unsigned', 'long long', 'float complex') to its entry
 * in TYPE_NAMES, or returns null. Words are separated by whitespace; case-sensitive. */
export function resolveTypeName(typeName: string): TypeInfo | null {
  if (typeof typeName !== 'string') return null
  const words = typeName.trim().split(/\s+/)
  if (words.length === 0 || words[0] === '') return null
  if (words.length === 1 && SINGLE_WORD_TYPES.has(words[0])) return TYPE_NAMES[words[0]]
  if (words.length === 2 && words[1] === 'complex' && (words[0] === 'float' || words[0] === 'double')) {
    return TYPE_NAMES[`${words[0]} complex`]
  }
  // Cython's p_sign_and_longness: [signed|unsigned] [short | long | long long] [char | int]
  let i = 0
  let sign = ''
  if (words[i] === 'signed' || words[i] === 'unsigned') sign = words[i++]
  let longness = 0
  if (words[i] === 'short') {
    longness = -1
    i++
  } else {
    while (words[i] === 'long' && longness < 2) {
      longness++
      i++
    }
  }
  let base = 'int'
  if (words[i] === 'char' || words[i] === 'int') base = words[i++]
  if (i !== words.length || i === 0) return null
  if (base === 'char' && longness !== 0) return null
  const core = base === 'char' ? 'char' : ['short', 'int', 'long', 'long long'][longness + 1]
  return TYPE_NAMES[sign ? `${sign} ${core}` : core] ?? null
}

/** The name Cython uses for the element type in messages, with 'const ' ('const short'). */
const described = new WeakMap<object, string>()

export function describeType(decl: Pick<Declaration, 'typeName' | 'isConst'>): string {
  let d = described.get(decl) // declarations are cached and frozen: name each one once
  if (d === undefined) {
    const t = resolveTypeName(decl.typeName)
    d = (decl.isConst ? 'const ' : '') + (t ? t.name : decl.typeName)
    described.set(decl, d)
  }
  return d
}

// ---------------------------------------------------------------------------------------------

// Cython's texts (Compiler/MemoryView.py)
const START_ERR = 'Start must not be given.'
const STOP_ERR = "Axis specification only allowed in the 'step' slot."
const STEP_ERR = 'Step must be omitted, 1, or a valid specifier.'
const BOTH_CF_ERR = 'Cannot specify an array that is both C and Fortran contiguous.'
const INVALID_ERR = 'Invalid axis specification.'
const EXPR_ERR = 'no expressions allowed in axis spec, only names and literals.'
const MAX_DIMS_ERR = 'More dimensions than the maximum number of buffer dimensions were used.'

// Exported for other modules' messages and tests.
export const DECLARATION_MESSAGES = Object.freeze({
  START_ERR,
  STOP_ERR,
  STEP_ERR,
  BOTH_CF_ERR,
  INVALID_ERR,
  EXPR_ERR,
  MAX_DIMS_ERR,
})

function bad(message: string): never {
  return fail('ERR_MEMVIEW_DECLARATION', message)
}

const VIEW_CONSTANTS: Readonly<Record<string, readonly [Access, Packing]>> = {
  generic: ['full', 'strided'],
  strided: ['direct', 'strided'],
  indirect: ['ptr', 'strided'],
  contiguous: ['direct', 'contig'],
  indirect_contiguous: ['ptr', 'contig'],
  follow: ['direct', 'follow'], // memview extension (internal in Cython)
  // 'generic_contiguous' is disabled in Cython ("a troublemaker") and so is unknown here too.
}

const IDENT = '[A-Za-z_][A-Za-z0-9_]*'
const RE_IDENT = new RegExp(`^${IDENT}$`)
const RE_DOTTED = new RegExp(`^${IDENT}(?:\\s*\\.\\s*${IDENT})*$`)
const RE_ATTR_OF_EXPR = new RegExp(`^([\\s\\S]*?)\\s*\\.\\s*(${IDENT})$`)
const RE_INT = /^([+-]?)\s*(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)$/

type Slot =
  | { kind: 'none' }
  | { kind: 'int'; value: number; text: string }
  | { kind: 'name'; path: string[]; text: string }
  | { kind: 'attrexpr'; text: string }
  | { kind: 'expr'; text: string }

function classify(raw: string): Slot {
  const text = raw.trim()
  if (text === '') return { kind: 'none' }
  const m = RE_INT.exec(text)
  if (m) {
    const magnitude = Number(m[2])
    const value = m[1] === '-' ? -magnitude : magnitude
    return { kind: 'int', value: value === 0 ? 0 : value, text }
  }
  if (RE_DOTTED.test(text)) return { kind: 'name', path: text.split('.').map((s) => s.trim()), text }
  if (RE_ATTR_OF_EXPR.test(text)) return { kind: 'attrexpr', text }
  return { kind: 'expr', text }
}

const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' }

/** Index of the `]` closing the `[` at `open`, honouring nested brackets and quotes; -1 if none. */
function findClose(text: string, open: number): number {
  const stack: string[] = [']']
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i]
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1)
      if (end < 0) return -1
      i = end
    } else if (c in OPENERS) {
      stack.push(OPENERS[c])
    } else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) return -1
      if (stack.length === 0) return i
    }
  }
  return -1
}

/** Splits at `sep` characters outside nested brackets and quotes (input is already balanced). */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = []
  let depth = 0
  let from = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1)
      if (end < 0) break
      i = end
    } else if (c === '(' || c === '[' || c === '{') {
      depth++
    } else if (c === ')' || c === ']' || c === '}') {
      depth--
    } else if (c === sep && depth === 0) {
      parts.push(text.slice(from, i))
      from = i + 1
    }
  }
  parts.push(text.slice(from))
  return parts
}

function quote(text: string): string {
  return JSON.stringify(text.length > 200 ? text.slice(0, 200) + '...' : text)
}

type RawAxis = { access: Access; packing: Packing | 'cfcontig'; slice?: SliceSpec }

function parseAxis(part: string, axis: number, source: string): RawAxis {
  const slots = splitTop(part, ':')
  if (slots.length === 1) {
    const t = part.trim()
    bad(
      t === ''
        ? `Empty dimension ${axis} in memoryview declaration ${quote(source)}`
        : `Dimension ${axis} of memoryview declaration ${quote(source)} must be a slice such as ':' or '::1', got ${quote(t)}`,
    )
  }
  if (slots.length > 3) bad(INVALID_ERR)
  const start = classify(slots[0])
  const stop = classify(slots[1])
  const step = slots.length === 3 ? classify(slots[2]) : ({ kind: 'none' } as Slot)

  if (start.kind !== 'none' && start.kind !== 'int') bad(START_ERR)
  if (stop.kind !== 'none' && stop.kind !== 'int') bad(STOP_ERR)
  const hasBounds = start.kind === 'int' || stop.kind === 'int'
  for (const s of [start, stop]) {
    if (s.kind === 'int' && !Number.isSafeInteger(s.value)) {
      bad(`Slice bound ${s.text} in dimension ${axis} of ${quote(source)} is out of range`)
    }
  }
  const bound = (s: Slot): number | null => (s.kind === 'int' ? s.value : null)

  switch (step.kind) {
    case 'none':
      if (!hasBounds) return { access: 'direct', packing: 'strided' }
      return { access: 'direct', packing: 'strided', slice: { start: bound(start), stop: bound(stop), step: null } }
    case 'int': {
      if (!Number.isSafeInteger(step.value)) {
        bad(`Slice step ${step.text} in dimension ${axis} of ${quote(source)} is out of range`)
      }
      if (step.value === 0) bad(STEP_ERR) // Cython's compile-time text for '::0'
      if (step.value === 1) {
        if (!hasBounds) return { access: 'direct', packing: 'cfcontig' }
        return { access: 'direct', packing: 'cfcontig', slice: { start: bound(start), stop: bound(stop), step: 1 } }
      }
      return { access: 'direct', packing: 'strided', slice: { start: bound(start), stop: bound(stop), step: step.value } }
    }
    case 'name': {
      if (start.kind !== 'none') bad(START_ERR)
      if (stop.kind !== 'none') bad(STOP_ERR)
      const path = step.path
      const prefixOk =
        path.length === 1 ||
        (path.length === 2 && path[0] === 'view') ||
        (path.length === 3 && path[0] === 'cython' && path[1] === 'view')
      const spec = prefixOk && Object.hasOwn(VIEW_CONSTANTS, path[path.length - 1]) ? VIEW_CONSTANTS[path[path.length - 1]] : null
      if (!spec) bad(INVALID_ERR)
      return { access: spec[0], packing: spec[1] }
    }
    // start/stop are integers (or absent) here, which memview allows, so the step is the problem
    case 'attrexpr':
      return bad(EXPR_ERR)
    default:
      return bad(INVALID_ERR)
  }
}

/** Cython's get_axes_specs after the per-axis analysis: '::1' handling and validate_axes_specs. */
function resolveLayout(raw: RawAxis[]): { specs: [Access, Packing][]; contiguity: 'C' | 'F' | null } {
  const n = raw.length
  const specs: [Access, Packing | 'cfcontig'][] = raw.map((a) => [a.access, a.packing])
  let isC = false
  let isF = false
  let contigDim = 0
  let isContig = false
  const inferred: boolean[] = new Array(n).fill(false)
  for (let i = 0; i < n; i++) {
    if (specs[i][1] === 'cfcontig') {
      if (isContig) bad(BOTH_CF_ERR)
      contigDim = i
      specs[i] = [specs[i][0], 'contig']
      isContig = true
    }
  }
  if (isContig) {
    if (contigDim === n - 1) {
      isC = true
    } else {
      isF = true
      if (contigDim > 0 && specs[contigDim - 1][0] === 'direct') {
        bad('Fortran contiguous specifier must follow an indirect dimension')
      }
    }
    if (isC) {
      // the last indirect (ptr or full) dimension; Cython's loop ends on the first (see header)
      contigDim = -1
      for (let i = n - 1; i >= 0; i--) {
        if (specs[i][0] !== 'direct') {
          contigDim = i
          break
        }
      }
    }
    const stop = n - (isC ? 1 : 0)
    for (let i = contigDim + 1; i < stop; i++) {
      if (specs[i][0] !== 'direct') bad('Indirect dimension may not follow Fortran contiguous dimension')
      if (specs[i][1] === 'contig') bad('Dimension may not be contiguous')
      specs[i] = [specs[i][0], 'follow']
      inferred[i] = true
    }
    if (isC) specs[n - 1] = [specs[n - 1][0], 'contig']
  }
  // memview's explicit 'view.follow' is only valid where Cython infers follow itself
  for (let i = 0; i < n; i++) {
    if (raw[i].packing === 'follow' && !inferred[i]) bad('Invalid use of the follow specifier.')
  }

  // validate_axes_specs
  let lastIndirect = -1
  for (let i = 0; i < n; i++) if (specs[i][0] === 'ptr') lastIndirect = i
  let hasContig = false
  let hasStrided = false
  for (let i = 0; i < n; i++) {
    const [access, packing] = specs[i]
    if (packing === 'strided') {
      hasStrided = true
    } else if (packing === 'contig') {
      if (hasContig) bad('Only one direct contiguous axis may be specified.')
      const valid = [lastIndirect + 1, n - 1]
      if (!valid.includes(i) && access !== 'ptr') {
        const dims = lastIndirect + 1 !== n - 1 ? `dimensions ${valid[0]} and ${valid[1]}` : `dimension ${valid[0]}`
        bad(`Only ${dims} may be contiguous and direct`)
      }
      hasContig = access !== 'ptr'
    } else if (packing === 'follow') {
      if (hasStrided) bad('A memoryview cannot have both follow and strided axis specifiers.')
      if (!(isC || isF)) bad('Invalid use of the follow specifier.')
    }
    if (access !== 'direct') hasStrided = false
  }
  return { specs: specs as [Access, Packing][], contiguity: isC ? 'C' : isF ? 'F' : null }
}

const RE_ARG_NAME = new RegExp(`^(${IDENT})`)
const RESERVED_ARG_NAMES = new Set(['not', 'None', 'or', 'and', 'is', 'in', 'const'])

function parseTail(tail: string, source: string): { name?: string; notNone: boolean; defaultNone: boolean } {
  let rest = tail.trim()
  let name: string | undefined
  let notNone = false
  let defaultNone = false
  const garbage = (): never =>
    bad(`Unexpected ${quote(rest)} after the dimensions of memoryview declaration ${quote(source)}`)
  const m = RE_ARG_NAME.exec(rest)
  if (m && !RESERVED_ARG_NAMES.has(m[1])) {
    name = m[1]
    rest = rest.slice(m[1].length)
    if (rest !== '' && !/^\s/.test(rest) && rest[0] !== '=') garbage()
    rest = rest.trim()
  }
  const nn = /^not\s+None(?![A-Za-z0-9_])/.exec(rest)
  if (nn) {
    notNone = true
    rest = rest.slice(nn[0].length).trim()
  }
  const dn = /^=\s*None(?![A-Za-z0-9_])/.exec(rest)
  if (dn) {
    defaultNone = true
    rest = rest.slice(dn[0].length).trim()
  }
  if (rest !== '') garbage()
  if (notNone && defaultNone) {
    bad(`Argument ${name === undefined ? '' : `'${name}' `}cannot be both 'not None' and '= None' in ${quote(source)}`)
  }
  return name === undefined ? { notNone, defaultNone } : { name, notNone, defaultNone }
}

function parse(text: string): Declaration {
  const open = text.indexOf('[')
  if (open < 0) {
    bad(`Memoryview declaration ${quote(text)} has no dimensions; expected e.g. 'int[:, ::1]'`)
  }
  const rawType = text.slice(0, open).trim()
  if (rawType === '') bad(`Memoryview declaration ${quote(text)} has no element type`)
  const words = rawType.split(/\s+/)
  let isConst = false
  if (words[0] === 'const') {
    isConst = true
    words.shift()
  }
  const typeName = words.join(' ')
  const type = words.every((w) => RE_IDENT.test(w)) ? resolveTypeName(typeName) : null
  if (!type) bad(`Invalid base type for memoryview slice: ${typeName === '' ? rawType : typeName}`)

  const close = findClose(text, open)
  if (close < 0) bad(`Memoryview declaration ${quote(text)} is missing its closing ']'`)
  const inner = text.slice(open + 1, close)
  if (inner.trim() === '') bad(`Memoryview declaration ${quote(text)} has no dimensions (0-dimensional views are not declared); use e.g. 'int[:]'`)
  const parts = splitTop(inner, ',')
  if (parts.length > MAX_DIMS) bad(MAX_DIMS_ERR)
  const raw = parts.map((p, i) => parseAxis(p, i, text))
  const { specs, contiguity } = resolveLayout(raw)
  const tail = parseTail(text.slice(close + 1), text)

  const dims = specs.map(([access, packing], i) => {
    const s = raw[i].slice
    return Object.freeze(s ? { access, packing, slice: Object.freeze({ ...s }) } : { access, packing })
  })
  return Object.freeze({
    source: text,
    typeName,
    isConst,
    format: type.format,
    itemsize: type.itemsize,
    group: type.group,
    ndim: dims.length,
    dims: Object.freeze(dims) as DimSpec[],
    contiguity,
    ...tail,
  })
}

const CACHE_LIMIT = 1024
const cache = new Map<string, Declaration>()

/** Parses a Cython memoryview declaration. Results are frozen and cached by text. Every failure is
 * a TypeError with code ERR_MEMVIEW_DECLARATION. */
export function parseDeclaration(text: string): Declaration {
  if (typeof text !== 'string') {
    bad(`Memoryview declaration must be a string, got ${text === null ? 'null' : typeof text}`)
  }
  const hit = cache.get(text)
  if (hit) return hit
  let decl: Declaration
  try {
    decl = parse(text)
  } catch (err) {
    if ((err as { code?: unknown })?.code === 'ERR_MEMVIEW_DECLARATION') throw err
    // defensive: nothing but coded errors leaves the parser
    return bad(`Cannot parse memoryview declaration ${quote(text)}: ${(err as Error)?.message ?? String(err)}`)
  }
  if (cache.size >= CACHE_LIMIT) cache.clear()
  cache.set(text, decl)
  return decl
}
