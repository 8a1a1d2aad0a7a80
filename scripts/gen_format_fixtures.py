#!/usr/bin/env python3
"""Writes the PEP 3118 / struct format fixtures from the two oracles, CPython's struct module and
NumPy's PEP 3118 parser:

  test/fixtures/formats.json   for the JS tests (schema below)
  test/core/format_cases.inc   the same cases as C++ array literals, for test/core/format_test.cc

Run with the python3 that has numpy (the pyenv shim; /usr/bin/python3 has none):
    python3 scripts/gen_format_fixtures.py
Deterministic: the random cases come from random.Random(SEED); the output depends only on the
Python and NumPy versions, which are recorded in the JSON.

What the expected values are (native/core/format.h documents the rules):
  * itemsize is NumPy's _dtype_from_pep3118 WITHOUT NumPy's tail padding of the top level, i.e.
    the dtype of `spelling + '^0x'` (an empty trailing item in unaligned mode). T{...} bodies keep
    NumPy's C-struct tail padding. For every format the struct module also accepts, the script
    asserts that this equals struct.calcsize, so for plain formats it IS struct.calcsize.
  * `spelling` is the format in NumPy's dialect: memview also reads whitespace between items, the
    struct-only codes n N P p and CPython 3.14's F D (complex), and a byte order before '(';
    the generator writes each case in both dialects (n->q, N->Q, P->Q, p->s, F->Zf, D->Zd on this
    LP64 host, whitespace dropped, '(2)<i' for '<(2)i').
  * layout is a signature of the whole type tree: scalar = NumPy's dtype.str ('<i4', '|b1',
    '|S3', '>f8', '<c16'); sub-array = '(2,3)' + element (nested sub-arrays merged); struct =
    '{name@offset:layout,...}' + size.
  * invalid formats are ones that struct.calcsize AND NumPy both reject; memview must reject them.

JSON schema:
  { "generator", "seed", "python", "numpy", "notes": [str],
    "valid":   [ { "format": str, "itemsize": int, "layout": str, "group": str,
                   "struct_itemsize": int|null,   # struct.calcsize(format), when struct accepts it
                   "numpy_itemsize": int|null,    # NumPy's own answer for format, when it accepts it
                                                  #   (differs from itemsize only by top-level tail padding)
                   "fields": [ {"name": str, "offset": int} ] | null,      # root struct's fields
                   "export_itemsize": int }  # group "numpy export" only: the itemsize NumPy's buffer
                                             #   reports; it can exceed itemsize ('T{b:a:=i:b:}' of a
                                             #   dtype with itemsize 8), the exporter's itemsize rules
                 ],
    "invalid": [ { "format": str, "group": str, "struct_error": str, "numpy_error": str } ] }
"""

import json
import os
import platform
import random
import re
import struct
import sys

import numpy as np

try:
    from numpy._core._internal import _dtype_from_pep3118
except ImportError:  # numpy < 2
    from numpy.core._internal import _dtype_from_pep3118

SEED = 3118
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
JSON_OUT = os.path.join(ROOT, 'test', 'fixtures', 'formats.json')
INC_OUT = os.path.join(ROOT, 'test', 'core', 'format_cases.inc')

assert struct.calcsize('@l') == 8 and struct.calcsize('P') == 8, 'the spellings assume an LP64 host'

# --------------------------------------------------------------------------------------------
# Oracles
# --------------------------------------------------------------------------------------------


def numpy_parse(s):
    try:
        return _dtype_from_pep3118(s), None
    except Exception as e:  # NumPy raises ValueError, KeyError, IndexError, NotImplementedError, ...
        return None, '%s: %s' % (type(e).__name__, e)


def struct_size(s):
    try:
        return struct.calcsize(s), None
    except Exception as e:
        return None, '%s: %s' % (type(e).__name__, e)


def layout(dt):
    """The type tree of a NumPy dtype as a string (see the module doc)."""
    if dt.subdtype is not None:
        base, shape = dt.subdtype
        shape = list(shape)
        while base.subdtype is not None:
            shape += list(base.subdtype[1])
            base = base.subdtype[0]
        return '(' + ','.join(str(d) for d in shape) + ')' + layout(base)
    if dt.names is not None:
        parts = []
        for name in dt.names:
            sub, off = dt.fields[name][:2]
            parts.append('%s@%d:%s' % (name, off, layout(sub)))
        return '{' + ','.join(parts) + '}' + str(dt.itemsize)
    return dt.str


# --------------------------------------------------------------------------------------------
# Case collection
# --------------------------------------------------------------------------------------------

valid = []
invalid = []
seen = set()


def add_valid(fmt, spelling, group, export_itemsize=None):
    """fmt: memview's format; spelling: the same format in NumPy's dialect."""
    if fmt in seen:
        return
    dt, err = numpy_parse(spelling + '^0x')
    if dt is None:
        raise SystemExit('generator bug: NumPy rejects the spelling %r of %r: %s' % (spelling, fmt, err))
    itemsize = dt.itemsize
    s_size, _ = struct_size(fmt)
    if s_size is not None and s_size != itemsize:
        raise SystemExit('rule mismatch for %r: struct.calcsize %d, NumPy without tail padding %d'
                         % (fmt, s_size, itemsize))
    raw, _ = numpy_parse(fmt)
    fields = None
    if dt.names is not None:
        fields = [{'name': n, 'offset': int(dt.fields[n][1])} for n in dt.names]
    seen.add(fmt)
    valid.append({
        'format': fmt,
        'itemsize': int(itemsize),
        'layout': layout(dt),
        'group': group,
        'struct_itemsize': s_size,
        'numpy_itemsize': None if raw is None else int(raw.itemsize),
        'fields': fields,
    })
    if export_itemsize is not None:
        valid[-1]['export_itemsize'] = int(export_itemsize)


def add_invalid(fmt, group):
    if fmt in seen:
        return False
    s_size, s_err = struct_size(fmt)
    dt, n_err = numpy_parse(fmt)
    if s_size is not None or dt is not None:
        return False  # one oracle accepts it: not a fixture for "invalid"
    # Forms memview accepts as documented extensions although both oracles reject them.
    if re.search(r'[@=<>!^]\s*\(', fmt):
        return False
    seen.add(fmt)
    invalid.append({'format': fmt, 'group': group, 'struct_error': s_err, 'numpy_error': n_err})
    return True


# Codes and their NumPy spellings. Native-only codes are errors in standard mode.
CODES = ['x', 'c', 'b', 'B', '?', 'h', 'H', 'i', 'I', 'l', 'L', 'q', 'Q', 'n', 'N', 'e', 'f', 'd',
         'g', 's', 'p', 'P', 'Zf', 'Zd', 'Zg', 'F', 'D']
SPELL = {'n': 'q', 'N': 'Q', 'P': 'Q', 'p': 's', 'F': 'Zf', 'D': 'Zd'}
NATIVE_ONLY = {'n', 'N', 'P', 'g', 'Zg'}
ORDERS = ['', '@', '=', '<', '>', '!', '^']
STANDARD = {'=', '<', '>', '!'}


def spell(code):
    return SPELL.get(code, code)


def ok_in(code, mode):
    return not (mode in STANDARD and code in NATIVE_ONLY)


# 1. every code with every order prefix
for order in ORDERS:
    for code in CODES:
        f = order + code
        if ok_in(code, order):
            add_valid(f, order + spell(code), 'code x prefix')
        else:
            add_invalid(f, 'code x prefix')

# 2. repeat counts (0 contributes alignment only), alone and after a byte so that alignment shows
#    ('<' and '>' differ from '=' only in byte order, which section 1 covers)
for order in ['', '=', '^']:
    for code in CODES:
        if not ok_in(code, order):
            continue
        for count in (0, 2, 3, 16):
            add_valid('%s%d%s' % (order, count, code), '%s%d%s' % (order, count, spell(code)), 'counts')
        for count in (0, 1, 3):
            add_valid('%sb%d%s' % (order, count, code), '%sb%d%s' % (order, count, spell(code)), 'counts')
        add_valid('%s%sb' % (order, code), '%s%sb' % (order, spell(code)), 'counts')
        # a trailing 0l/0q aligns the end (struct's idiom)
        add_valid('%sc%s0q' % (order, code), '%sc%s0q' % (order, spell(code)), 'counts')

# 3. padding
for f in ['x', '3x', '0x', 'xi', 'ix', 'hxd', 'b7xd', '=hxd', 'x0d', 'bx0q', '5xQ', '@3xe', '=3x',
          '<bxxh', 'cx', 'xxxx', '0xi']:
    add_valid(f, f, 'padding')

# 4. random plain (struct-compatible) formats, with whitespace between items
rng = random.Random(SEED)


def rand_plain():
    order = rng.choice(ORDERS)
    mem = [order]
    spl = [order]
    for _ in range(rng.randint(1, 6)):
        code = rng.choice([c for c in CODES if not c.startswith('Z') and c not in ('F', 'D', 'g')
                           and ok_in(c, order)])
        count = rng.choice(['', '', '', '0', '1', '2', '3', '5', '12'])
        ws = rng.choice(['', '', '', ' ', '\t', '\n ', '  '])
        mem.append(ws + count + code)
        spl.append(count + spell(code))
    if rng.random() < 0.2:
        mem.append(rng.choice([' ', '\n', '\t\r']))
    return ''.join(mem), ''.join(spl)


for _ in range(200):
    m, s = rand_plain()
    add_valid(m, s, 'random plain')

# 5. structs: NumPy's own exports, then hand-written, then random
np_exports = [
    [('a', 'i4'), ('b', 'i1')],
    [('a', 'i1'), ('b', 'i4')],
    [('a', 'i1'), ('b', [('c', 'f8'), ('d', 'i1')])],
    [('a', 'i1'), ('b', 'i4', (2, 3))],
    [('a', '>i4'), ('b', '<f8')],
    [('a', 'i1'), ('b', 'i8')],
    [('x', 'i1', (3,)), ('y', 'i2')],
    [('a', '>i4', (2,)), ('b', '<i2')],
    [('re', 'f8'), ('im', 'f8')],
    [('c', 'c16'), ('b', '?'), ('h', 'f2')],
    [('s', 'S5'), ('i', 'u2'), ('g', 'g')],
    [('p', [('x', 'f4'), ('y', 'f4')], (4,)), ('n', 'u1')],
    [('a', [('b', [('c', [('d', 'i2')])])]), ('e', 'u1')],
    [('v', 'V3'), ('w', 'i4')],
    [('big', '>f8'), ('small', 'i1'), ('mid', '>i2')],
]
for spec in np_exports:
    for align in (False, True):
        dt = np.dtype(spec, align=align)
        f = memoryview(np.zeros(2, dt)).format  # 2 items: with 1, NumPy may omit the "=" of a packed struct
        add_valid(f, f, 'numpy export', export_itemsize=dt.itemsize)
for dt in ['i1', 'u8', '>i4', 'c8', 'c16', 'S7', '?', 'f2', '>f8', 'g', 'G', ('i4', (2, 3)), 'V4', 'l', 'L']:
    f = memoryview(np.zeros(1, np.dtype(dt))).format
    if f not in seen:
        add_valid(f, f, 'numpy export', export_itemsize=memoryview(np.zeros(1, np.dtype(dt))).itemsize)

HAND_STRUCTS = [
    'T{}', 'T{i}', 'T{ii}', 'T{i:a:}', 'T{i:a:d:b:}', 'T{b:a:i:b:}', 'T{i:a:b:b:}', '^T{b:a:i:b:}',
    '=T{b:a:i:b:}', '@T{b:a:i:b:}', '<T{b:a:i:b:}', 'T{b:a:@i:b:}', 'T{=b:a:i:b:}b', 'T{(2,3)i:a:}',
    '2T{b:a:i:b:}', '(2)T{b:a:i:b:}', '(2,3)T{b:a:}', '3T{bi}', 'T{bT{i}}', 'T{bT{i}b}', 'T{=bT{i}b}',
    'T{dT{=i}b}', 'T{d:a:}(3)T{b:a:}', 'bT{}', 'T{}i', 'T{i}x', 'xT{i}', 'T{d}x', 'T{db}b', '2T{db}',
    'T{xd}', 'T{dx}', 'T{xi}', 'T{b:a:xi:b:}', 'T{T{T{i:a:}:b:}:c:}', 'iT{b:a:}', 'T{i:a:}b',
    'T{^b:a:}i', 'T{=d}', 'T{@d=b}', 'T{=b@d}', '0T{i}', '(0)T{}', '1T{i}', 'T{i:f1:i}', 'T{ii:f0:}',
    'T{i:f0:ii}', 'T{2x:pad:i:v:}', 'T{(2)x:n:}', 'T{i::}', 'T{Zf:z:Zd:w:Zg:v:}', 'T{?:flag:e:half:}',
    'T{3s:name:H:n:}', 'T{c:c:3c:cs:}', 'T{g:a:b:b:}', 'T{b:a:(2)Zg:b:}', 'i:a:', 'i:a:b:b:',
    '(2)i:a:', '2x:n:', 'T{i:a:}:n:', '2T{i:a:}:n:', 'T{i:\u00e9t\u00e9:d:\u4e2d:}',
    'T{i:with space:}', 'T{>i:a:=d:b:}', 'T{(2)>i:a:@h:b:}', 'T{!h:a:@h:b:}', 'T{^i:a:^d:b:}',
    'T{T{}T{}:e:}', 'T{q:a:T{b:b:}:s:b:c:}', '(2)3i', '(2,3)2s', '(0)i', '(2,0)i', '(2, 3)i', '( 2 )i',
    '(1)i', '(1,1,1)T{d}', '(4,4)e', '03i', '00i',
]
for f in HAND_STRUCTS:
    add_valid(f, f, 'struct hand')

NAMES = ['a', 'b', 'c', 'x1', 'y2', 'val', 're', 'im', 'f0', 'f1', 'f3', 'pad', '\u00fc', 'two words', '_']
RCODES = [c for c in CODES]


class Gen:
    def __init__(self):
        self.mode = '@'

    def item(self, depth, in_struct, names):
        mem = []
        spl = []
        has_shape = rng.random() < 0.15
        # NumPy's dialect puts the byte order after a sub-array shape; memview also reads it
        # before the shape (hand-written extension cases).
        if not has_shape and rng.random() < 0.15:
            o = rng.choice(ORDERS[1:])
            mem.append(o)
            spl.append(o)
            self.mode = o
        dims = []
        if has_shape:
            dims = [rng.choice([0, 1, 2, 2, 3, 4]) if rng.random() < 0.2 else rng.randint(1, 4)
                    for _ in range(rng.randint(1, 3))]
            mem.append('(' + ','.join(str(d) for d in dims) + ')')
            if rng.random() < 0.3:
                o = rng.choice(ORDERS[1:])
                mem.append(o)
                self.mode = o
        cnt = rng.choice([0, 2, 2, 3, 4, 5]) if rng.random() < 0.3 else None
        if depth < 4 and rng.random() < 0.22:
            m, s = self.body(depth + 1, True)
            typ_mem, typ_spl, is_len = 'T{' + m + '}', 'T{' + s + '}', False
        else:
            code = rng.choice([c for c in RCODES if ok_in(c, self.mode)])
            typ_mem, typ_spl, is_len = code, spell(code), code in ('s', 'p', 'x')
        if cnt is not None:
            mem.append(str(cnt))
        mem.append(typ_mem)
        # NumPy cannot build '(2)0i' (a zero-size sub-array inside a sub-array), so its spelling
        # folds a repeat count into the shape: '(2)3i' -> '(2,3)i' (memview merges them the same
        # way). For s/p/x the count is a byte length, not a dimension, and stays.
        if has_shape:
            if cnt is not None and not is_len:
                spl.append('(' + ','.join(str(d) for d in dims + [cnt]) + ')')
            else:
                spl.append('(' + ','.join(str(d) for d in dims) + ')')
            if mem[-2 if cnt is None else -3] in ORDERS[1:]:
                spl.append(mem[-2 if cnt is None else -3])
            if cnt is not None and is_len:
                spl.append(str(cnt))
        elif cnt is not None:
            spl.append(str(cnt))
        spl.append(typ_spl)
        if rng.random() < (0.6 if in_struct else 0.25):
            free = [n for n in NAMES if n not in names]
            if free:
                n = rng.choice(free)
                names.add(n)
                mem.append(':%s:' % n)
                spl.append(':%s:' % n)
        return ''.join(mem), ''.join(spl)

    def body(self, depth, in_struct):
        names = set()
        mem = []
        spl = []
        for _ in range(rng.randint(0 if in_struct else 1, 5)):
            m, s = self.item(depth, in_struct, names)
            mem.append(m)
            spl.append(s)
        return ''.join(mem), ''.join(spl)


for i in range(260):
    g = Gen()
    if i % 2 == 0:  # a top-level sequence of items
        m, s = g.body(0, False)
    else:  # one struct, as exporters write them
        mm, ss = g.body(1, True)
        m, s = 'T{' + mm + '}', 'T{' + ss + '}'
    add_valid(m, s, 'random struct')

# 6. memview extensions: both oracles reject these spellings, memview reads them (format.h)
EXTENSIONS = [
    ('<(2)i', '(2)<i'), ('>(2,3)h', '(2,3)>h'), ('T{ i : a : }', 'T{i: a :}'),
    ('T{ i:a: d:b: }', 'T{i:a:d:b:}'), (' T{ b }  i ', 'T{b}i'), ('T{n:s:N:u:P:p:}', 'T{q:s:Q:u:Q:p:}'),
    ('T{F:a:D:b:}', 'T{Zf:a:Zd:b:}'), ('(2)F', '(2)Zf'), ('3D', '3Zd'), ('2p:str:', '2s:str:'),
    ('^n', '^q'), ('^bP', '^bQ'), ('(3)N', '(3)Q'), ('i\t:tabbed:', 'i:tabbed:'),
]
for m, s in EXTENSIONS:
    add_valid(m, s, 'extension')

# 7. invalid formats
HAND_INVALID = [
    '', ' ', '\t\n', '@', '<', '=', '!', '^', 'T', 'T{', 'T{i', 'T{i:a', 'T{i:a:', 'T{{i}}', '}', 'i}',
    'T{}}', '{i}', 'T[i]', 'T(i)', 'Ti', 'T {i}', '(2', '(2)', '(2,', '(2,3', '()i', '(,)i', '(2,)i',
    '(,2)i', '(-1)i', '(a)i', '(2;3)i', '(2 3)i', '((2))i', '(2)(3)i', '2(3)i', '2', '12', '3 i',
    '2 T{i}', 'Z', 'Zx', 'Zi', 'ZF', 'Z f', 'y', 'iy', 'j', 'A', 'G', 'E', 'u', '&', 't', 'X',
    'iii:', ':a:i', 'i::a:', ':', '::', 'i:a', 'i:a:b', 'i:a::b:', 'T{i:a:i:a:}', 'i:a:b:a:',
    '=g', '<Zg', '>n', '!P', '=N', '<g', '>Zg', '99999999999999999999i', '9223372036854775808x',
    '18446744073709551616s', '(9223372036854775808)i', '(99999999999999999999)b', '3<i', '<>i',
    '@@i', 'i<', 'i@', 'i=', 'i,i', 'i;i', 'i\x00', '\x00', 'i\x01d', '\x7f', '#', 'T{i}T', 'T{i}{',
    'T{(2)}', 'T{3}', 'T{<}', 'T{i:}', 'T{:a:}', 'bb:', '$', '3i:', '5Z', 'T{Zq}',
]
for f in HAND_INVALID:
    add_invalid(f, 'hand')

JUNK = 'ajkmorvyzACEJKMRVWYG$%*/;[]{"\\\'#~`|,.-+'
plain_pool = [c['format'] for c in valid if c['group'] in ('code x prefix', 'counts', 'padding', 'struct hand',
                                                          'numpy export', 'random struct')
              and not re.search(r'[\snNPpFD]', c['format'])]
mutants = 0
tries = 0
while mutants < 160 and tries < 20000:
    tries += 1
    base = rng.choice(plain_pool)
    kind = rng.randrange(4)
    if kind == 0 and len(base) > 1:  # truncation
        cut = rng.randint(1, len(base) - 1)
        cand = base[:cut]
        group = 'truncated'
    elif kind == 1:  # junk character inserted
        at = rng.randint(0, len(base))
        cand = base[:at] + rng.choice(JUNK) + base[at:]
        group = 'junk'
    elif kind == 2:  # a structural character dropped
        idx = [i for i, ch in enumerate(base) if ch in '{}():,']
        if not idx:
            continue
        at = rng.choice(idx)
        cand = base[:at] + base[at + 1:]
        group = 'unbalanced'
    else:  # a structural character doubled
        idx = [i for i, ch in enumerate(base) if ch in '{}():T']
        if not idx:
            continue
        at = rng.choice(idx)
        cand = base[:at] + base[at] + base[at:]
        group = 'doubled'
    if add_invalid(cand, group):
        mutants += 1

# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

notes = [
    'itemsize: NumPy _dtype_from_pep3118 of the NumPy spelling + "^0x" (no top-level tail padding); '
    'equal to struct.calcsize wherever struct accepts the format (asserted by the generator).',
    'numpy_itemsize is NumPy\'s own answer; it differs from itemsize only where NumPy pads the top level.',
    'layout: scalar = numpy dtype.str; sub-array = "(d0,d1)" + element; struct = "{name@offset:layout,...}" + size.',
    'invalid: formats that both struct.calcsize and NumPy reject.',
]
doc = {
    'generator': 'scripts/gen_format_fixtures.py',
    'seed': SEED,
    'python': platform.python_version(),
    'numpy': np.__version__,
    'notes': notes,
    'valid': valid,
    'invalid': invalid,
}
os.makedirs(os.path.dirname(JSON_OUT), exist_ok=True)
with open(JSON_OUT, 'w', encoding='utf-8') as fh:
    # One case per line: small, and diffs stay readable.
    fh.write('{\n')
    for key in ('generator', 'seed', 'python', 'numpy', 'notes'):
        fh.write(' %s: %s,\n' % (json.dumps(key), json.dumps(doc[key])))
    for key in ('valid', 'invalid'):
        fh.write(' %s: [\n' % json.dumps(key))
        rows = doc[key]
        for i, row in enumerate(rows):
            fh.write('  %s%s\n' % (json.dumps(row, separators=(',', ':')), ',' if i + 1 < len(rows) else ''))
        fh.write(' ]%s\n' % (',' if key == 'valid' else ''))
    fh.write('}\n')
with open(JSON_OUT, encoding='utf-8') as fh:
    assert json.load(fh) == doc


def c_string(s):
    """A C++ string literal of the UTF-8 bytes of s; octal escapes never swallow the next char."""
    out = ['"']
    for b in s.encode('utf-8'):
        ch = chr(b)
        if ch == '"' or ch == '\\':
            out.append('\\' + ch)
        elif ch == '?':
            out.append('\\?')
        elif 0x20 <= b < 0x7f:
            out.append(ch)
        else:
            out.append('\\%03o' % b)
    out.append('"')
    return ''.join(out)


lines = [
    '// Generated by scripts/gen_format_fixtures.py from CPython %s struct and NumPy %s. Do not edit;'
    % (platform.python_version(), np.__version__),
    '// rerun the script. {format, format length in bytes, itemsize, layout}; see the script for the rules.',
    'static const ValidFormatCase kValidFormatCases[] = {',
]
for c in valid:
    lines.append('    {%s, %d, %d, %s},' % (c_string(c['format']), len(c['format'].encode('utf-8')),
                                          c['itemsize'], c_string(c['layout'])))
lines.append('};')
lines.append('')
lines.append('// Rejected by both struct.calcsize and NumPy. {format, format length in bytes}')
lines.append('static const InvalidFormatCase kInvalidFormatCases[] = {')
for c in invalid:
    lines.append('    {%s, %d},' % (c_string(c['format']), len(c['format'].encode('utf-8'))))
lines.append('};')
with open(INC_OUT, 'w', encoding='utf-8') as fh:
    fh.write('\n'.join(lines) + '\n')

print('valid: %d, invalid: %d' % (len(valid), len(invalid)))
groups = {}
for c in valid:
    groups[c['group']] = groups.get(c['group'], 0) + 1
print('valid by group:', groups)
igroups = {}
for c in invalid:
    igroups[c['group']] = igroups.get(c['group'], 0) + 1
print('invalid by group:', igroups)
