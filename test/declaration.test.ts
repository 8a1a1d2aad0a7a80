import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  DECLARATION_MESSAGES as M,
  MAX_DIMS,
  TYPE_NAMES,
  describeType,
  parseDeclaration,
  resolveTypeName,
  type Declaration,
} from '../lib/declaration.js'

const CODE = 'ERR_MEMVIEW_DECLARATION'

/** Asserts that parsing throws a coded TypeError, with exactly `message` when given. */
function rejects(text: unknown, message?: string | RegExp): Error & { code?: string } {
  let caught: unknown
  try {
    parseDeclaration(text as string)
  } catch (err) {
    caught = err
  }
  expect(caught, `expected ${typeof text === 'string' ? JSON.stringify(text) : typeof text} to throw`).toBeInstanceOf(TypeError)
  const err = caught as Error & { code?: string }
  expect(err.code).toBe(CODE)
  if (typeof message === 'string') expect(err.message).toBe(message)
  else if (message) expect(err.message).toMatch(message)
  return err
}

const layout = (d: Declaration) => d.dims.map((x) => `${x.access}/${x.packing}`)

const CHAR_UNSIGNED = TYPE_NAMES['char'].group === 'u'

describe('element types', () => {
  // [declaration type, canonical (Cython) name, format, itemsize, group]
  const cases: [string, string, string, number, string][] = [
    ['char', 'char', CHAR_UNSIGNED ? 'B' : 'b', 1, CHAR_UNSIGNED ? 'u' : 'i'],
    ['signed char', 'signed char', 'b', 1, 'i'],
    ['unsigned char', 'unsigned char', 'B', 1, 'u'],
    ['short', 'short', 'h', 2, 'i'],
    ['short int', 'short', 'h', 2, 'i'],
    ['signed short', 'signed short', 'h', 2, 'i'],
    ['unsigned short', 'unsigned short', 'H', 2, 'u'],
    ['unsigned short int', 'unsigned short', 'H', 2, 'u'],
    ['int', 'int', 'i', 4, 'i'],
    ['signed int', 'signed int', 'i', 4, 'i'],
    ['signed', 'signed int', 'i', 4, 'i'],
    ['unsigned int', 'unsigned int', 'I', 4, 'u'],
    ['unsigned', 'unsigned int', 'I', 4, 'u'],
    ['long', 'long', 'l', 8, 'i'],
    ['long int', 'long', 'l', 8, 'i'],
    ['signed long', 'signed long', 'l', 8, 'i'],
    ['unsigned long', 'unsigned long', 'L', 8, 'u'],
    ['long long', 'long long', 'q', 8, 'i'],
    ['long long int', 'long long', 'q', 8, 'i'],
    ['signed long long', 'signed long long', 'q', 8, 'i'],
    ['unsigned long long', 'unsigned long long', 'Q', 8, 'u'],
    ['unsigned long long int', 'unsigned long long', 'Q', 8, 'u'],
    ['float', 'float', 'f', 4, 'f'],
    ['double', 'double', 'd', 8, 'f'],
    ['float complex', 'float complex', 'Zf', 8, 'c'],
    ['double complex', 'double complex', 'Zd', 16, 'c'],
    ['bint', 'bint', '?', 1, 'b'],
    ['Py_ssize_t', 'Py_ssize_t', 'n', 8, 'i'],
    ['size_t', 'size_t', 'N', 8, 'u'],
    ['int8_t', 'int8_t', 'b', 1, 'i'],
    ['uint8_t', 'uint8_t', 'B', 1, 'u'],
    ['int16_t', 'int16_t', 'h', 2, 'i'],
    ['uint16_t', 'uint16_t', 'H', 2, 'u'],
    ['int32_t', 'int32_t', 'i', 4, 'i'],
    ['uint32_t', 'uint32_t', 'I', 4, 'u'],
    ['int64_t', 'int64_t', 'q', 8, 'i'],
    ['uint64_t', 'uint64_t', 'Q', 8, 'u'],
  ]

  it.each(cases)('%s', (type, canonical, format, itemsize, group) => {
    const d = parseDeclaration(`${type}[:]`)
    expect(d).toMatchObject({ typeName: type, isConst: false, format, itemsize, group, ndim: 1 })
    expect(describeType(d)).toBe(canonical)
    const c = parseDeclaration(`const ${type}[:, ::1]`)
    expect(c).toMatchObject({ typeName: type, isConst: true, format, itemsize, group, ndim: 2, contiguity: 'C' })
    expect(describeType(c)).toBe(`const ${canonical}`)
    expect(resolveTypeName(type)).toBe(TYPE_NAMES[canonical])
  })

  it('every TYPE_NAMES entry parses under its own name and is frozen', () => {
    for (const [name, t] of Object.entries(TYPE_NAMES)) {
      expect(t.name).toBe(name)
      expect(Object.isFrozen(t)).toBe(true)
      const d = parseDeclaration(`${name}[:]`)
      expect([d.format, d.itemsize, d.group]).toEqual([t.format, t.itemsize, t.group])
    }
    expect(Object.isFrozen(TYPE_NAMES)).toBe(true)
    expect(Object.keys(TYPE_NAMES).length).toBe(30)
  })

  it('normalizes spacing in the type name', () => {
    const d = parseDeclaration('  const   unsigned \t long   long [:]')
    expect(d.typeName).toBe('unsigned long long')
    expect(d.isConst).toBe(true)
    expect(describeType(d)).toBe('const unsigned long long')
    expect(parseDeclaration('double   complex[:]').typeName).toBe('double complex')
  })

  it('describeType matches the guide examples', () => {
    expect(describeType(parseDeclaration('const short[:]'))).toBe('const short')
    expect(describeType(parseDeclaration('short int[:]'))).toBe('short')
    expect(describeType({ typeName: 'mystery', isConst: true })).toBe('const mystery')
  })

  it.each([
    'object',
    'long double',
    'long long long',
    'short long',
    'short char',
    'long char',
    'unsigned float',
    'signed double',
    'int complex',
    'Int',
    'INT',
    'float64',
    'half',
    'void',
    'int*',
    'unsigned signed int',
    'int int',
    'generic_contiguous',
    'Py_ssize_t long',
    'const const int',
    'volatile int',
    'struct Foo',
    'py_ssize_t',
    'uint8',
  ])('rejects the element type %s, naming it', (type) => {
    const err = rejects(`${type}[:]`)
    expect(err.message).toBe(`Invalid base type for memoryview slice: ${type.replace(/^const /, '')}`)
  })

  it('rejects a missing element type', () => {
    rejects('[:]', /has no element type/)
    rejects('   [:, :]', /has no element type/)
    rejects('const[:]', 'Invalid base type for memoryview slice: const')
  })
})

describe('layout specifiers', () => {
  const names: [string, string][] = [
    ['generic', 'full/strided'],
    ['strided', 'direct/strided'],
    ['indirect', 'ptr/strided'],
    ['contiguous', 'direct/contig'],
    ['indirect_contiguous', 'ptr/contig'],
  ]
  for (const [name, spec] of names) {
    for (const prefix of ['', 'view.', 'cython.view.', 'view . ']) {
      it(`::${prefix}${name} in the last dimension`, () => {
        const d = parseDeclaration(`int[:, ::${prefix}${name}]`)
        expect(layout(d)).toEqual(['direct/strided', spec])
        expect(d.contiguity).toBeNull()
        expect(d.dims.every((x) => x.slice === undefined)).toBe(true)
      })
    }
  }

  it('no specifier means direct and strided', () => {
    expect(layout(parseDeclaration('int[:, :, :]'))).toEqual(['direct/strided', 'direct/strided', 'direct/strided'])
    expect(parseDeclaration('int[:, :, :]').contiguity).toBeNull()
  })

  it('::1 last is C contiguous, with follow before it', () => {
    const d = parseDeclaration('int[:, :, ::1]')
    expect(d.contiguity).toBe('C')
    expect(layout(d)).toEqual(['direct/follow', 'direct/follow', 'direct/contig'])
    expect(parseDeclaration('int[::1]').contiguity).toBe('C')
    expect(layout(parseDeclaration('int[::1]'))).toEqual(['direct/contig'])
  })

  it('::1 first is Fortran contiguous, with follow after it', () => {
    const d = parseDeclaration('double[::1, :, :]')
    expect(d.contiguity).toBe('F')
    expect(layout(d)).toEqual(['direct/contig', 'direct/follow', 'direct/follow'])
  })

  it('step literals equal to 1 are ::1', () => {
    for (const one of ['1', '+1', '01', '0x1', '0o1', '0b1', ' 1 ']) {
      expect(parseDeclaration(`int[:, ::${one}]`).contiguity).toBe('C')
    }
  })

  it('::view.follow is accepted where Cython would infer follow', () => {
    expect(layout(parseDeclaration('int[::view.follow, ::1]'))).toEqual(['direct/follow', 'direct/contig'])
    expect(layout(parseDeclaration('int[::1, ::follow]'))).toEqual(['direct/contig', 'direct/follow'])
    rejects('int[::view.follow]', 'Invalid use of the follow specifier.')
    rejects('int[::view.follow, :]', 'Invalid use of the follow specifier.')
    rejects('int[:, ::view.follow]', 'Invalid use of the follow specifier.')
    rejects('int[::view.follow, ::view.indirect, ::1]', 'Invalid use of the follow specifier.')
    rejects('int[::1, ::view.indirect_contiguous, ::view.follow]', 'Indirect dimension may not follow Fortran contiguous dimension')
    expect(layout(parseDeclaration('int[::view.indirect, ::view.follow, ::1]'))).toEqual(['ptr/strided', 'direct/follow', 'direct/contig'])
  })

  describe("the guide's and Cython's VALID declarations", () => {
    const valid: [string, string[], 'C' | 'F' | null][] = [
      ['int[::view.indirect, ::1, :]', ['ptr/strided', 'direct/contig', 'direct/follow'], 'F'],
      ['int[::view.indirect, :, ::1]', ['ptr/strided', 'direct/follow', 'direct/contig'], 'C'],
      ['int[::view.indirect_contiguous, ::1, :]', ['ptr/contig', 'direct/contig', 'direct/follow'], 'F'],
      ['int[:, ::view.contiguous]', ['direct/strided', 'direct/contig'], null],
      ['int[::view.indirect_contiguous, ::view.contiguous]', ['ptr/contig', 'direct/contig'], null],
      ['int[::view.generic, :]', ['full/strided', 'direct/strided'], null],
      ['double[::view.indirect_contiguous, ::1]', ['ptr/contig', 'direct/contig'], 'C'],
      ['int[::view.contiguous, :, :]', ['direct/contig', 'direct/strided', 'direct/strided'], null],
      ['int[::view.generic, ::1]', ['full/strided', 'direct/contig'], 'C'],
      ['int[:, ::view.indirect, ::1]', ['direct/strided', 'ptr/strided', 'direct/contig'], 'C'],
      ['int[::view.indirect, ::view.indirect, :]', ['ptr/strided', 'ptr/strided', 'direct/strided'], null],
      ['int[::view.generic , :: view.generic, :]', ['full/strided', 'full/strided', 'direct/strided'], null],
      ['int[::view.contiguous, :]', ['direct/contig', 'direct/strided'], null],
      ['int[::view.indirect, ::view.contiguous, :]', ['ptr/strided', 'direct/contig', 'direct/strided'], null],
    ]
    it.each(valid)('%s', (text, expected, contiguity) => {
      const d = parseDeclaration(text)
      expect(layout(d)).toEqual(expected)
      expect(d.contiguity).toBe(contiguity)
    })
  })

  it('uses the last indirect dimension for C contiguity (Cython rejects this one)', () => {
    const d = parseDeclaration('int[::view.indirect, ::view.indirect, ::1]')
    expect(layout(d)).toEqual(['ptr/strided', 'ptr/strided', 'direct/contig'])
    const e = parseDeclaration('int[::view.indirect, :, ::view.generic, :, ::1]')
    expect(layout(e)).toEqual(['ptr/strided', 'direct/strided', 'full/strided', 'direct/follow', 'direct/contig'])
  })
})

describe("Cython's declaration errors (Compiler/MemoryView.py, error_declarations.pyx)", () => {
  const errors: [string, string][] = [
    // both C and Fortran
    ['signed short[::1, ::1]', 'Cannot specify an array that is both C and Fortran contiguous.'],
    ['signed short[::1, :, :, ::1]', 'Cannot specify an array that is both C and Fortran contiguous.'],
    ['int[:, ::1, ::1]', 'Cannot specify an array that is both C and Fortran contiguous.'],
    // Fortran specifier in the middle
    ['unsigned long[:,::1,:]', 'Fortran contiguous specifier must follow an indirect dimension'],
    ['int[:, :, ::1, :]', 'Fortran contiguous specifier must follow an indirect dimension'],
    // the guide's INVALID examples
    ['int[::view.contiguous, ::view.indirect, :]', 'Only dimension 2 may be contiguous and direct'],
    ['int[::1, ::view.indirect, :]', 'Indirect dimension may not follow Fortran contiguous dimension'],
    ['int[::1, :, ::view.generic]', 'Indirect dimension may not follow Fortran contiguous dimension'],
    // error_declarations.pyx a1, a5, a6
    ['int[::view.contiguous, ::1]', 'Dimension may not be contiguous'],
    ['int[::1, ::view.contiguous]', 'Dimension may not be contiguous'],
    ['int[::view.contiguous, ::view.contiguous]', 'Only one direct contiguous axis may be specified.'],
    ['int[:, ::view.contiguous, ::view.indirect_contiguous]', 'Only dimensions 3 and 2 may be contiguous and direct'],
    // Cython counts only 'ptr' (not 'full') as the last indirect dimension here, so a generic
    // dimension does not license a following Fortran ::1
    ['int[::view.generic, ::1, :]', 'Only dimensions 0 and 2 may be contiguous and direct'],
    ['int[:, ::view.contiguous, :]', 'Only dimensions 0 and 2 may be contiguous and direct'],
    ['int[::view.indirect, :, ::view.contiguous, :]', 'Only dimensions 1 and 3 may be contiguous and direct'],
    // start / stop with a layout name
    ['signed char[1::view.contiguous]', 'Start must not be given.'],
    ['signed char[-1::view.indirect]', 'Start must not be given.'],
    ['signed char[1:2:view.strided]', 'Start must not be given.'],
    ["long long['0':]", 'Start must not be given.'],
    ['long long[False:]', 'Start must not be given.'],
    ['int[a:b]', 'Start must not be given.'],
    ['int[1.5:]', 'Start must not be given.'],
    ['unsigned long[:, :1:view.contiguous]', "Axis specification only allowed in the 'step' slot."],
    ['unsigned long[:, :x]', "Axis specification only allowed in the 'step' slot."],
    ['int[:view.contiguous]', "Axis specification only allowed in the 'step' slot."],
    ['int[:x:alist[0].x]', "Axis specification only allowed in the 'step' slot."],
    // memview allows integer starts/stops, so then the step's own error is reported
    ['int[:2:alist[0].x]', 'no expressions allowed in axis spec, only names and literals.'],
    ['int[1::blargh()]', 'Invalid axis specification.'],
    // step
    ['signed char[::0]', 'Step must be omitted, 1, or a valid specifier.'],
    ['signed char[1:5:0]', 'Step must be omitted, 1, or a valid specifier.'],
    ['signed char[::-0]', 'Step must be omitted, 1, or a valid specifier.'],
    ['signed char[::1-1+1]', 'Invalid axis specification.'],
    ['signed char[::blargh]', 'Invalid axis specification.'],
    ['int[::view.generic_contiguous]', 'Invalid axis specification.'],
    ['int[::numpy.contiguous]', 'Invalid axis specification.'],
    ['int[::view.view.contiguous]', 'Invalid axis specification.'],
    ['int[::cython.contiguous]', 'Invalid axis specification.'],
    ['int[::Contiguous]', 'Invalid axis specification.'],
    ['int[::1.0]', 'Invalid axis specification.'],
    ['int[::view.]', 'Invalid axis specification.'],
    ['int[::f(x)]', 'Invalid axis specification.'],
    ['int[::--1]', 'Invalid axis specification.'],
    ["int[::'1']", 'Invalid axis specification.'],
    ['int[:::]', 'Invalid axis specification.'],
    ['int[::1:1]', 'Invalid axis specification.'],
    ["double[::alist[0]['view'].full]", 'no expressions allowed in axis spec, only names and literals.'],
    ['double[::f(x).contiguous]', 'no expressions allowed in axis spec, only names and literals.'],
    ['double[::(view).contiguous]', 'no expressions allowed in axis spec, only names and literals.'],
    // follow
    ['int[::view.follow]', 'Invalid use of the follow specifier.'],
    ['int[:, ::view.follow]', 'Invalid use of the follow specifier.'],
  ]
  it.each(errors)('%s -> %s', (text, message) => {
    rejects(text, message)
  })

  it('the message tables are the exact Cython strings', () => {
    expect(M).toEqual({
      START_ERR: 'Start must not be given.',
      STOP_ERR: "Axis specification only allowed in the 'step' slot.",
      STEP_ERR: 'Step must be omitted, 1, or a valid specifier.',
      BOTH_CF_ERR: 'Cannot specify an array that is both C and Fortran contiguous.',
      INVALID_ERR: 'Invalid axis specification.',
      EXPR_ERR: 'no expressions allowed in axis spec, only names and literals.',
      MAX_DIMS_ERR: 'More dimensions than the maximum number of buffer dimensions were used.',
    })
  })

  it(`allows up to ${MAX_DIMS} dimensions`, () => {
    const dims = (n: number, last = ':') => Array.from({ length: n }, (_, i) => (i === n - 1 ? last : ':')).join(', ')
    expect(parseDeclaration(`int[${dims(64)}]`).ndim).toBe(64)
    expect(parseDeclaration(`int[${dims(64, '::1')}]`).contiguity).toBe('C')
    expect(parseDeclaration(`int[${dims(8)}]`).ndim).toBe(8) // Cython's limit is 7
    rejects(`int[${dims(65)}]`, 'More dimensions than the maximum number of buffer dimensions were used.')
    rejects(`int[${dims(1000)}]`, 'More dimensions than the maximum number of buffer dimensions were used.')
  })
})

describe('runtime slices in declarations', () => {
  const slices: [string, ({ start: number | null; stop: number | null; step: number | null } | undefined)[]][] = [
    ['int[1:102:2, :]', [{ start: 1, stop: 102, step: 2 }, undefined]],
    ['int[::2]', [{ start: null, stop: null, step: 2 }]],
    ['int[::-1]', [{ start: null, stop: null, step: -1 }]],
    ['int[::-100]', [{ start: null, stop: null, step: -100 }]],
    ['int[:10, :2]', [{ start: null, stop: 10, step: null }, { start: null, stop: 2, step: null }]],
    ['int[1:]', [{ start: 1, stop: null, step: null }]],
    ['int[1::]', [{ start: 1, stop: null, step: null }]],
    ['int[-5:]', [{ start: -5, stop: null, step: null }]],
    ['int[:-1]', [{ start: null, stop: -1, step: null }]],
    ['int[-1:-10:-3]', [{ start: -1, stop: -10, step: -3 }]],
    ['int[5:1:-1]', [{ start: 5, stop: 1, step: -1 }]],
    ['int[0:0]', [{ start: 0, stop: 0, step: null }]],
    ['int[-0:]', [{ start: 0, stop: null, step: null }]],
    ['int[0x10:0o10:0b10]', [{ start: 16, stop: 8, step: 2 }]],
    ['int[01:]', [{ start: 1, stop: null, step: null }]],
    ['int[ - 3 : + 4 : - 2 ]', [{ start: -3, stop: 4, step: -2 }]],
    ['int[:, 2:8:3, :]', [undefined, { start: 2, stop: 8, step: 3 }, undefined]],
  ]
  it.each(slices)('%s', (text, expected) => {
    const d = parseDeclaration(text)
    expect(d.dims.map((x) => x.slice)).toEqual(expected)
    for (const x of d.dims) expect(x.access).toBe('direct')
  })

  it('slices have the default (direct, strided) layout, or follow next to ::1', () => {
    expect(layout(parseDeclaration('int[1:102:2, :]'))).toEqual(['direct/strided', 'direct/strided'])
    const d = parseDeclaration('int[2:5, ::1]')
    expect(layout(d)).toEqual(['direct/follow', 'direct/contig'])
    expect(d.dims[0].slice).toEqual({ start: 2, stop: 5, step: null })
    expect(d.contiguity).toBe('C')
  })

  it('a step of 1 next to a start/stop is still ::1 (Cython pointer casts)', () => {
    const d = parseDeclaration('int[:10:1, :10]')
    expect(d.contiguity).toBe('F')
    expect(layout(d)).toEqual(['direct/contig', 'direct/follow'])
    expect(d.dims[0].slice).toEqual({ start: null, stop: 10, step: 1 })
    expect(d.dims[1].slice).toEqual({ start: null, stop: 10, step: null })
    const c = parseDeclaration('int[:10, :10:1]')
    expect(c.contiguity).toBe('C')
    rejects('int[:, 2:5:1, :]', 'Fortran contiguous specifier must follow an indirect dimension')
    rejects('int[0:4:1, :, ::1]', 'Cannot specify an array that is both C and Fortran contiguous.')
  })

  it('slices and layout names mix across dimensions', () => {
    const d = parseDeclaration('int[::view.indirect, 1:3, ::2]')
    expect(layout(d)).toEqual(['ptr/strided', 'direct/strided', 'direct/strided'])
    expect(d.dims[0].slice).toBeUndefined()
    expect(d.dims[2].slice).toEqual({ start: null, stop: null, step: 2 })
  })

  it('rejects out-of-range integers', () => {
    rejects('int[99999999999999999999:]', /out of range/)
    rejects('int[:-99999999999999999999]', /out of range/)
    rejects('int[::99999999999999999999]', /out of range/)
    rejects(`int[0x${'f'.repeat(300)}:]`, /out of range/)
    expect(parseDeclaration(`int[${Number.MAX_SAFE_INTEGER}:]`).dims[0].slice?.start).toBe(Number.MAX_SAFE_INTEGER)
  })
})

describe('argument syntax', () => {
  it('parses names, not None and = None', () => {
    expect(parseDeclaration('int[:, :] input not None')).toMatchObject({
      ndim: 2,
      name: 'input',
      notNone: true,
      defaultNone: false,
    })
    expect(parseDeclaration('int[:, :] output = None')).toMatchObject({
      name: 'output',
      notNone: false,
      defaultNone: true,
    })
    expect(parseDeclaration('const double[:] x')).toMatchObject({ name: 'x', isConst: true, notNone: false, defaultNone: false })
    expect(parseDeclaration('int[:]')).toMatchObject({ notNone: false, defaultNone: false })
    expect(parseDeclaration('int[:]').name).toBeUndefined()
  })

  it('accepts whitespace variants', () => {
    expect(parseDeclaration('int[:]x')).toMatchObject({ name: 'x' })
    expect(parseDeclaration('int[:] x=None')).toMatchObject({ name: 'x', defaultNone: true })
    expect(parseDeclaration('int[:]  x  =  None  ')).toMatchObject({ name: 'x', defaultNone: true })
    expect(parseDeclaration('int[:] x   not \t None')).toMatchObject({ name: 'x', notNone: true })
    expect(parseDeclaration('int[:] _x$1'.replace('$', ''))).toMatchObject({ name: '_x1' })
    expect(parseDeclaration('int[:] not None')).toMatchObject({ notNone: true })
    expect(parseDeclaration('int[:] not None').name).toBeUndefined()
    expect(parseDeclaration('int[:] = None')).toMatchObject({ defaultNone: true })
    expect(parseDeclaration('int[:] None_')).toMatchObject({ name: 'None_' })
    expect(parseDeclaration('int[:] notable not None')).toMatchObject({ name: 'notable', notNone: true })
  })

  it.each([
    'int[:] x y',
    'int[:] x not',
    'int[:] x not none',
    'int[:] x = none',
    'int[:] x = 0',
    'int[:] x =',
    'int[:] x = NoneType',
    'int[:] x not Nonex',
    'int[:] x not None x',
    'int[:] 1x',
    'int[:] x-y',
    'int[:] x,',
    'int[:] None',
    'int[:] not',
    'int[:] x or None',
    'int[:][:]',
    'int[:] [:]',
    'int[:]]',
    'int[:] x; drop',
  ])('rejects trailing garbage: %s', (text) => {
    rejects(text, /after the dimensions/)
  })

  it('rejects not None together with = None', () => {
    rejects('int[:] x not None = None', "Argument 'x' cannot be both 'not None' and '= None' in \"int[:] x not None = None\"")
  })
})

describe('syntax', () => {
  it('accepts whitespace anywhere reasonable', () => {
    const forms = [
      'int[:, :, ::1]',
      'int[:,:,::1]',
      ' int [ : , : , : : 1 ] ',
      '\tint\n[\n:,\n:,\n::1\n]\n',
      'int[ :, :, ::  1 ]',
    ]
    for (const f of forms) {
      const d = parseDeclaration(f)
      expect(d.source).toBe(f)
      expect(layout(d)).toEqual(['direct/follow', 'direct/follow', 'direct/contig'])
      expect(d.typeName).toBe('int')
    }
    expect(layout(parseDeclaration('int[: : view . indirect , :: 1]'))).toEqual(['ptr/strided', 'direct/contig'])
  })

  it('is case-sensitive', () => {
    rejects('Int[:]', 'Invalid base type for memoryview slice: Int')
    rejects('int[::View.contiguous]', 'Invalid axis specification.')
    rejects('int[::view.Contiguous]', 'Invalid axis specification.')
    rejects('int[:] x NOT None', /after the dimensions/)
  })

  it.each([
    ['int', /has no dimensions/],
    ['int:', /has no dimensions/],
    ['', /has no dimensions/],
    ['   ', /has no dimensions/],
    ['int(:)', /has no dimensions/],
    ['int[]', /has no dimensions/],
    ['int[   ]', /has no dimensions/],
    ['int[:', /missing its closing/],
    ['int[:, :', /missing its closing/],
    ['int[:, (:]', /missing its closing/],
    ["int[::'view]", /missing its closing/],
    ['int[:, , :]', /Empty dimension 1/],
    ['int[:,]', /Empty dimension 1/],
    ['int[, :]', /Empty dimension 0/],
    ['int[5]', /must be a slice/],
    ['int[:, 5]', /must be a slice/],
    ['int[...]', /must be a slice/],
    ['int[None]', /must be a slice/],
    ['int[:]:', /after the dimensions/],
  ])('rejects %j', (text, message) => {
    rejects(text, message)
  })

  it('rejects non-string input with a coded TypeError', () => {
    for (const v of [undefined, null, 42, {}, [], Symbol('x'), 1n, () => 'int[:]', new String('int[:]')]) {
      rejects(v, /must be a string/)
    }
  })
})

describe('result', () => {
  it('is frozen all the way down', () => {
    const d = parseDeclaration('int[1:5:2, ::1] x not None')
    expect(Object.isFrozen(d)).toBe(true)
    expect(Object.isFrozen(d.dims)).toBe(true)
    for (const x of d.dims) expect(Object.isFrozen(x)).toBe(true)
    expect(Object.isFrozen(d.dims[0].slice)).toBe(true)
    expect(() => {
      ;(d as { ndim: number }).ndim = 3
    }).toThrow(TypeError)
  })

  it('is cached by text', () => {
    const a = parseDeclaration('float[:, ::1]')
    expect(parseDeclaration('float[:, ::1]')).toBe(a)
    expect(parseDeclaration('float[:,::1]')).not.toBe(a)
    expect(parseDeclaration('float[:,::1]')).toEqual({ ...a, source: 'float[:,::1]' })
  })

  it('errors are not cached: each call throws a fresh coded error', () => {
    const e1 = rejects('int[::1, ::1]')
    const e2 = rejects('int[::1, ::1]')
    expect(e1).not.toBe(e2)
  })

  it('has exactly the documented fields', () => {
    const d = parseDeclaration('const double[::view.indirect, ::1] m = None')
    expect(d).toEqual({
      source: 'const double[::view.indirect, ::1] m = None',
      typeName: 'double',
      isConst: true,
      format: 'd',
      itemsize: 8,
      group: 'f',
      ndim: 2,
      dims: [
        { access: 'ptr', packing: 'strided' },
        { access: 'direct', packing: 'contig' },
      ],
      contiguity: 'C',
      name: 'm',
      notNone: false,
      defaultNone: true,
    })
  })
})

// ---------------------------------------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function parsesOrCodedError(text: string): 'ok' | 'err' {
  try {
    const d = parseDeclaration(text)
    // invariants of every successful parse
    if (d.ndim !== d.dims.length || d.ndim < 1 || d.ndim > MAX_DIMS) throw new Error(`bad ndim for ${text}`)
    if (!Object.isFrozen(d)) throw new Error('not frozen')
    const contig = d.dims.filter((x) => x.packing === 'contig' && x.access === 'direct').length
    if (contig > 1) throw new Error(`two direct contiguous dims in ${text}`)
    if (d.contiguity === 'C' && d.dims[d.ndim - 1].packing !== 'contig') throw new Error(`C without contig: ${text}`)
    return 'ok'
  } catch (err) {
    const e = err as { code?: unknown }
    if (!(err instanceof TypeError) || e.code !== CODE) throw new Error(`${JSON.stringify(text)} threw ${String(err)}`)
    return 'err'
  }
}

describe('fuzz', () => {
  const TOKENS = [
    'int', 'const ', 'unsigned ', 'long ', 'double', ' ', ' ', '[', '[', ']', ']', ':', ':', ':', '::', '::1',
    ',', ', ', '1', '-1', '2', '0', '-', 'view.', 'view', '.', 'contiguous', 'indirect', 'generic',
    'indirect_contiguous', 'follow', 'strided', 'x', ' not None', ' = None', '=', '(', ')', "'", '"', '{', '}',
    '\t', '\n', 'None', '...', '0x', 'e5', '_', '$', '\\', '\u00e9', '\u0000', '#',
  ]

  const SLOTS = [
    ':', ':', '::1', '::view.indirect', '::view.contiguous', '::indirect_contiguous', '::view.generic',
    '::view.strided', '::view.follow', '1:', ':3', '::2', '::-1', '-2:8:3', '1:5:1',
  ]

  it('2000 random token strings parse or throw ERR_MEMVIEW_DECLARATION', () => {
    const rand = mulberry32(0x9473abcd)
    const tally = { ok: 0, err: 0 }
    for (let n = 0; n < 2000; n++) {
      // start most strings with a type and '[' so that the layout rules get exercised
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]
      let s: string
      if (rand() < 0.5) {
        // mostly well-formed: a type and 1-5 dimensions from plausible slots, sometimes corrupted
        const ndim = 1 + Math.floor(rand() * 5)
        const dims = Array.from({ length: ndim }, () => pick(SLOTS))
        s = `${pick(['int', 'const double', 'unsigned char', 'bint'])}[${dims.join(', ')}]`
        if (rand() < 0.3) {
          const at = Math.floor(rand() * (s.length + 1))
          s = s.slice(0, at) + pick(TOKENS) + s.slice(at)
        }
      } else {
        s = rand() < 0.7 ? 'int[' : ''
        const len = 1 + Math.floor(rand() * 12)
        for (let k = 0; k < len; k++) s += pick(TOKENS)
        if (rand() < 0.6) s += ']'
      }
      tally[parsesOrCodedError(s)]++
    }
    expect(tally.ok + tally.err).toBe(2000)
    expect(tally.ok).toBeGreaterThan(200) // the generator does reach valid declarations
    expect(tally.err).toBeGreaterThan(200)
  })

  it('2000 random character strings parse or throw ERR_MEMVIEW_DECLARATION', () => {
    const rand = mulberry32(12345)
    const ALPHABET = 'int[]:,. 1-0view.ctgsdrf()\'"=Nne{}'
    for (let n = 0; n < 2000; n++) {
      let s = ''
      const len = Math.floor(rand() * 24)
      for (let k = 0; k < len; k++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)]
      parsesOrCodedError(s)
    }
  })

  it('random layouts: parse or throw ERR_MEMVIEW_DECLARATION (fast-check)', () => {
    const slot = fc.constantFrom(
      ':', '::1', '::view.indirect', '::view.contiguous', '::view.indirect_contiguous', '::view.generic',
      '::view.strided', '::follow', '1:', ':3', '::2', '::-1', '1:5:1', '::0', '::x', '1::view.indirect',
    )
    fc.assert(
      fc.property(fc.array(slot, { minLength: 1, maxLength: 6 }), (dims) => {
        parsesOrCodedError(`int[${dims.join(', ')}]`)
      }),
      { seed: 42, numRuns: 2000 },
    )
  })

  it('arbitrary unicode strings parse or throw ERR_MEMVIEW_DECLARATION (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 20 }), (a, b) => {
        parsesOrCodedError(a)
        parsesOrCodedError(`int[${a}]${b}`)
        parsesOrCodedError(`int[:${b}`)
      }),
      { seed: 7, numRuns: 1000 },
    )
  })

  it('long inputs stay fast', () => {
    const t0 = performance.now()
    parsesOrCodedError('int[' + '('.repeat(100000) + ']')
    parsesOrCodedError('int[' + "'".repeat(100001))
    parsesOrCodedError('int[' + ':'.repeat(100000) + ']')
    parsesOrCodedError('int[' + ' '.repeat(100000) + ':]' + ' '.repeat(100000) + 'x')
    parsesOrCodedError('int[::' + 'a.'.repeat(50000) + 'b]')
    parsesOrCodedError('int[::' + 'a'.repeat(50000) + ' . ]')
    expect(performance.now() - t0).toBeLessThan(2000)
  })
})
