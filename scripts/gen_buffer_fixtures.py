#!/usr/bin/env python3
"""Writes test/fixtures/buffers.json: CPython's answers for memview's buffer protocol tests.

Sections (schema in test/fixtures/README.md, section `buffers.json`):
  requests   every PyBUF request (test_buffer.py's 15 requests x 4 extra bits) over C-contiguous,
             Fortran, sliced, negative-stride, read-only and PIL-style (indirect) sources, answered
             by CPython's memoryview re-export (memory_getbuf), observed through a ctypes Py_buffer
             so NULL fields are seen as NULL.
  records    NumPy structured arrays: the PEP 3118 format NumPy exports, the record bytes and the
             values (plain objects, nested arrays for sub-arrays, nested objects for nested structs).
  byteorder  scalars in every byte order: the bytes NumPy writes for given values.
  half       float16 rounding: the bits NumPy gives a double (round to nearest even, directly).
  casts      memoryview.cast(format, shape) over a grid of sources: the result or the exception
             class and text.

Sources are built with _testbuffer.ndarray (CPython's own test exporter: ND_PIL gives PIL-style
suboffsets on dimension 0, ND_FORTRAN Fortran strides, no ND_WRITABLE a read-only buffer) and with
NumPy arrays. Every request goes to memoryview(source), so the texts are memoryview's, the ones
memview uses.

Usage:  python3 scripts/gen_buffer_fixtures.py [--out PATH] [--check]
  --check   regenerate in memory and fail if the committed file differs.

Deterministic (no randomness). Pin: CPython 3.11 (x86-64/aarch64 Linux: 'l' is 8 bytes), NumPy 2.4;
both versions are recorded in the file.
"""

import argparse
import ctypes
import json
import math
import os
import platform
import struct
import sys

import numpy as np
from numpy._core._internal import _dtype_from_pep3118

try:
    import _testbuffer as tb
except ImportError:  # pragma: no cover - CPython builds without test modules
    sys.exit('_testbuffer is required (CPython test module); use a full CPython build')

VERSION = 1

# ---- PyBUF flags and a ctypes Py_buffer ----------------------------------------------------------

PyBUF = {
    'SIMPLE': 0, 'WRITABLE': 0x1, 'FORMAT': 0x4, 'ND': 0x8, 'STRIDES': 0x18,
    'C_CONTIGUOUS': 0x38, 'F_CONTIGUOUS': 0x58, 'ANY_CONTIGUOUS': 0x98, 'INDIRECT': 0x118,
    'CONTIG': 0x9, 'CONTIG_RO': 0x8, 'STRIDED': 0x19, 'STRIDED_RO': 0x18,
    'RECORDS': 0x1d, 'RECORDS_RO': 0x1c, 'FULL': 0x11d, 'FULL_RO': 0x11c,
}
for name, value in PyBUF.items():  # the values are CPython's
    assert getattr(tb, 'PyBUF_' + name) == value, name

# test_buffer.py test_ndarray_getbuf: distinct and compound requests, each with 4 extra bits.
REQUESTS = ['INDIRECT', 'STRIDES', 'ND', 'SIMPLE', 'C_CONTIGUOUS', 'F_CONTIGUOUS', 'ANY_CONTIGUOUS',
            'FULL', 'FULL_RO', 'RECORDS', 'RECORDS_RO', 'STRIDED', 'STRIDED_RO', 'CONTIG', 'CONTIG_RO']
BITS = [0, PyBUF['WRITABLE'], PyBUF['FORMAT'], PyBUF['WRITABLE'] | PyBUF['FORMAT']]
FLAGS = sorted({PyBUF[r] | b for r in REQUESTS for b in BITS})


class PyBuffer(ctypes.Structure):
    _fields_ = [
        ('buf', ctypes.c_void_p),
        ('obj', ctypes.c_void_p),
        ('len', ctypes.c_ssize_t),
        ('itemsize', ctypes.c_ssize_t),
        ('readonly', ctypes.c_int),
        ('ndim', ctypes.c_int),
        ('format', ctypes.c_char_p),
        ('shape', ctypes.POINTER(ctypes.c_ssize_t)),
        ('strides', ctypes.POINTER(ctypes.c_ssize_t)),
        ('suboffsets', ctypes.POINTER(ctypes.c_ssize_t)),
        ('internal', ctypes.c_void_p),
    ]


_get_buffer = ctypes.pythonapi.PyObject_GetBuffer
_get_buffer.argtypes = [ctypes.py_object, ctypes.POINTER(PyBuffer), ctypes.c_int]
_get_buffer.restype = ctypes.c_int
_release_buffer = ctypes.pythonapi.PyBuffer_Release
_release_buffer.argtypes = [ctypes.POINTER(PyBuffer)]
_release_buffer.restype = None


def get_buffer(obj, flags):
    """PyObject_GetBuffer(obj, flags) as a dict; NULL fields are None. ctypes.pythonapi raises the
    exception the call set (BufferError for a refusal)."""
    view = PyBuffer()
    try:
        _get_buffer(obj, ctypes.byref(view), flags)
    except BufferError as e:
        return {'error': 'BufferError', 'message': str(e)}
    try:
        n = view.ndim

        def arr(p):
            return None if not p else [p[i] for i in range(n)]

        return {
            'ndim': n,
            'shape': arr(view.shape),
            'strides': arr(view.strides),
            'suboffsets': arr(view.suboffsets),
            'format': None if not view.format else view.format.decode('ascii'),
            'itemsize': view.itemsize,
            'readonly': bool(view.readonly),
            'len': view.len,
            'buf': view.buf,
        }
    finally:
        _release_buffer(ctypes.byref(view))


def pack_items(fmt, items):
    return b''.join(struct.pack(fmt, x) for x in items)


def jsonable(x):
    """tolist() values for JSON: bools stay bools, ints and floats numbers (all small/exact here)."""
    if isinstance(x, list):
        return [jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        raise ValueError('non-finite value in a request source')
    return x


# ---- requests ------------------------------------------------------------------------------------

# test_buffer.py test_ndarray_getbuf's items, formats and structures (shape, strides in items,
# offset in items); ndflags as there, the PIL ones only with ndim > 0, Fortran only without strides.
ITEMS = {
    'B': list(range(1, 13)),
    'l': [(2**31 - x) if x % 2 else (-2**31 + x) for x in range(12)],
}
STRUCTURES = [
    ([], [], 0),
    ([1, 3, 1], [], 0),
    ([12], [], 0),
    ([12], [-1], 11),
    ([6], [2], 0),
    ([6], [-2], 11),
    ([3, 4], [], 0),
    ([3, 4], [-4, -1], 11),
    ([2, 2], [4, 1], 4),
    ([2, 2], [-4, -1], 8),
]
NDFLAGS = [[], ['WRITABLE'], ['FORTRAN'], ['FORTRAN', 'WRITABLE'], ['PIL'], ['PIL', 'WRITABLE']]
ND_BITS = {'WRITABLE': tb.ND_WRITABLE, 'FORTRAN': tb.ND_FORTRAN, 'PIL': tb.ND_PIL}


def describe_export(m):
    """The source as memoryview exports it with PyBUF_FULL_RO, plus its flags and elements."""
    full = get_buffer(m, PyBUF['FULL_RO'])
    assert 'error' not in full
    return {
        'ndim': full['ndim'],
        'shape': full['shape'],
        'strides': full['strides'],
        'suboffsets': full['suboffsets'],
        'format': full['format'],
        'itemsize': full['itemsize'],
        'readonly': full['readonly'],
        'nbytes': full['len'],
        'c': m.c_contiguous,
        'f': m.f_contiguous,
        'contiguous': m.contiguous,
    }, full['buf']


def answers(m, full_buf):
    out = []
    for flags in FLAGS:
        r = get_buffer(m, flags)
        if 'error' in r:
            out.append([flags, {'error': r['error'], 'message': r['message']}])
            continue
        # memoryview re-exports its own Py_buffer: the same element 0 whatever the request.
        assert r['buf'] == full_buf, (flags, r['buf'], full_buf)
        del r['buf']
        r['nbytes'] = r.pop('len')
        out.append([flags, r])
    return out


def testbuffer_sources():
    sources = []
    for fmt, items in ITEMS.items():
        itemsize = struct.calcsize(fmt)
        for shape, strides, offset in STRUCTURES:
            bstrides = [s * itemsize for s in strides]
            boffset = offset * itemsize
            for ndflags in NDFLAGS:
                if strides and 'FORTRAN' in ndflags:
                    continue
                if not shape and 'PIL' in ndflags:
                    continue
                flags = 0
                for f in ndflags:
                    flags |= ND_BITS[f]
                _items = items if shape else items[0]
                ex1 = tb.ndarray(_items, format=fmt, flags=flags, shape=shape, strides=bstrides, offset=boffset)
                for sliced in ([False, True] if shape else [False]):
                    ex = ex1[::-2] if sliced else ex1
                    m = memoryview(ex)
                    export, buf = describe_export(m)
                    memory = items if shape else items[:1]
                    sid = f"tb-{fmt}-{'x'.join(map(str, shape)) or '0d'}" \
                          f"{'-s' + ','.join(map(str, strides)) if strides else ''}" \
                          f"{'-o' + str(offset) if offset else ''}" \
                          f"{'-' + '-'.join(f.lower() for f in ndflags) if ndflags else '-ro'}" \
                          f"{'-sliced' if sliced else ''}"
                    sources.append({
                        'id': sid,
                        'kind': 'testbuffer',
                        'format': fmt,
                        'memory': pack_items(fmt, memory).hex(),
                        'base': {'shape': shape, 'strides': bstrides or None, 'offset': boffset},
                        'ndflags': ndflags,
                        'sliced': sliced,
                        'export': export,
                        'tolist': jsonable(m.tolist()),
                        'answers': answers(m, buf),
                    })
    return sources


def numpy_sources():
    """NumPy arrays (through memoryview): 3-D, transposed, strided, reversed, read-only, empty,
    extent-1 axes with odd strides, structured records."""
    base = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    rec_dt = np.dtype([('a', '<i4'), ('b', '<f8')], align=True)
    recs = np.zeros(6, rec_dt)
    recs['a'] = np.arange(6)
    recs['b'] = np.arange(6) / 2
    ro = base.copy()
    ro.flags.writeable = False
    wide_t = np.ascontiguousarray(np.arange(20, dtype=np.float64).reshape(4, 5).T)
    cases = [
        ('np-c-3d', base, base),
        ('np-f-3d', base, base.T),
        ('np-f-2d', wide_t, wide_t.T),
        ('np-cols', base, base[:, :, ::2]),
        ('np-rev', base, base[::-1]),
        ('np-rev-last', base, base[..., ::-1]),
        ('np-row', base, base[1:2, 1:2]),  # extent-1 axes: C and F
        ('np-readonly', ro, ro),
        ('np-readonly-T', ro, ro.T),
        ('np-empty', base, base[:, 3:3]),
        ('np-records', recs, recs),
        ('np-records-step', recs, recs[::2]),
        ('np-0d', base, base[1, 2, 3, ...]),
    ]
    sources = []
    for sid, owner, arr in cases:
        m = memoryview(arr)
        export, buf = describe_export(m)
        # NumPy exports normalised strides for extent-1 and empty axes (arr.strides may differ):
        # memview's source is what the exporter exports.
        offset = buf - owner.__array_interface__['data'][0]
        assert owner.flags.c_contiguous and 0 <= offset <= owner.nbytes
        sources.append({
            'id': sid,
            'kind': 'numpy',
            'format': m.format,
            'memory': owner.tobytes().hex(),
            'base': {'shape': export['shape'] or [], 'strides': export['strides'] or [], 'offset': offset},
            'ndflags': [] if not arr.flags.writeable else ['WRITABLE'],
            'sliced': False,
            'export': export,
            'tolist': None if m.format.startswith('T{') else jsonable(m.tolist()),
            'answers': answers(m, buf),
        })
    return sources


# ---- values: records, byte order, float16 ----------------------------------------------------------

def enc_float(x):
    x = float(x)
    if math.isnan(x):
        return {'$f': 'nan'}
    if math.isinf(x):
        return {'$f': 'inf' if x > 0 else '-inf'}
    if x == 0 and math.copysign(1, x) < 0:
        return {'$f': '-0'}
    return x


def enc_value(dt, v):
    """A NumPy value of dtype dt as memview reads it, JSON-encoded (README: value encoding)."""
    if dt.subdtype is not None:
        sub, shape = dt.subdtype
        a = np.asarray(v, dtype=sub).reshape(shape)
        return [enc_value(sub, x) for x in a] if len(shape) == 1 else [enc_value(np.dtype((sub, shape[1:])), x) for x in a]
    if dt.names is not None:
        return {name: enc_value(dt.fields[name][0], v[name]) for name in dt.names}
    k = dt.kind
    if k == 'b':
        return bool(v)
    if k in 'iu':
        return {'$big': str(int(v))} if dt.itemsize == 8 else int(v)
    if k == 'f':
        return enc_float(v)
    if k == 'c':
        return {'re': enc_float(np.real(v)), 'im': enc_float(np.imag(v))}
    if k == 'S':
        return {'$bytes': bytes(v).ljust(dt.itemsize, b'\0').hex()}
    raise TypeError(f'no encoding for {dt}')


def fill(dt, i):
    """Deterministic, varied value number i for dtype dt (extremes, negatives, specials)."""
    if dt.subdtype is not None:
        sub, shape = dt.subdtype
        n = int(np.prod(shape))
        return np.array([fill(sub, i * n + k) for k in range(n)], dtype=sub).reshape(shape)
    if dt.names is not None:
        return tuple(fill(dt.fields[name][0], i * 11 + 3 * j) for j, name in enumerate(dt.names))
    k = dt.kind
    if k == 'b':
        return i % 3 == 1
    if k in 'iu':
        info = np.iinfo(dt)
        pool = [0, 1, info.max, info.min, -1 if k == 'i' else info.max // 3, 7 * i + 3, (1 << (8 * dt.itemsize - 2)) + i]
        return np.array(pool[i % len(pool)] if info.min <= pool[i % len(pool)] <= info.max else i, dtype=dt)[()]
    if k == 'f':
        pool = [0.5, -1.25, float('inf'), -0.0, 1e-3 * (i + 1), float(np.finfo(dt).max), float(np.finfo(dt).tiny) / 4,
                float('-inf'), float('nan'), 3.0 + i]
        return np.array(pool[i % len(pool)], dtype=dt)[()]
    if k == 'c':
        part = dt.itemsize // 2
        fdt = np.dtype(f'{dt.byteorder if dt.byteorder in "<>" else "="}f{part}')
        return complex(fill(fdt, i), fill(fdt, i + 3))
    if k == 'S':
        return bytes((65 + (i + j) % 26) for j in range(i % (dt.itemsize + 1)))
    raise TypeError(f'no fill for {dt}')


RECORD_DTYPES = [
    ('packed', np.dtype([('a', '<i4'), ('b', '<f8')])),
    ('aligned', np.dtype([('a', '<i4'), ('b', '<f8')], align=True)),
    ('big-endian', np.dtype([('a', '>i2'), ('b', '>f4'), ('c', 'u1')])),
    ('mixed-order', np.dtype([('a', 'i1'), ('b', '>u2'), ('c', '?'), ('d', '<u2'), ('e', '>i8')])),
    ('nested+subarray', np.dtype([('p', [('x', '<f4'), ('y', '<f4')]), ('v', '<i2', (2, 3))], align=True)),
    ('bytes+complex+half', np.dtype([('s', 'S3'), ('c', '<c16'), ('b', '?'), ('e', '<f2'), ('q', '<i8')])),
    ('aligned-u8', np.dtype([('a', 'u1'), ('b', '<u8')], align=True)),
    ('nested-big', np.dtype([('hdr', [('id', '>u4'), ('flags', 'u1')]), ('pos', '>f8', (3,)), ('count', '<i8')])),
    ('nested-big-aligned', np.dtype([('hdr', [('id', '>u4'), ('flags', 'u1')]), ('pos', '>f8', (3,)), ('count', '<i8')], align=True)),
    ('struct-subarray', np.dtype([('pts', [('x', '<i2'), ('y', '>i2')], (2,)), ('n', '<u4')])),
    ('complex-big', np.dtype([('z', '>c8'), ('w', '>c16')])),
    ('half-big', np.dtype([('h', '>f2', (2,)), ('k', '<f2')])),
    ('deep', np.dtype([('l1', [('l2', [('l3', '<i4', (2,)), ('f', '>f8')]), ('u', 'u1')]), ('t', '<i2')], align=True)),
]


def records():
    out = []
    for name, dt in RECORD_DTYPES:
        n = 4
        arr = np.zeros(n, dt)
        for i in range(n):
            arr[i] = fill(dt, i)
        m = memoryview(arr)
        assert m.itemsize == dt.itemsize
        # The size the format itself describes, by NumPy's own PEP 3118 parser. NumPy's export can
        # be shorter than its itemsize (trailing padding of an aligned struct is not written), and
        # NumPy then cannot read its own export back; the record stride is always dt.itemsize.
        parsed = _dtype_from_pep3118(m.format).itemsize
        entry = {
            'id': name,
            'numpy': dt.descr if dt.names else str(dt),
            'format': m.format,
            'itemsize': parsed,
            'stride': dt.itemsize,
            'count': n,
            'bytes': arr.tobytes().hex(),
            'values': [enc_value(dt, arr[i]) for i in range(n)],
        }
        if parsed != dt.itemsize:
            entry['note'] = f'numpy exports itemsize {dt.itemsize} with a format of {parsed} bytes'
        out.append(entry)
    return out


# PEP 3118 format -> NumPy dtype (standard sizes: '<l' is 4 bytes, as struct).
BYTEORDER = [
    ('b', 'i1'), ('>b', 'i1'), ('B', 'u1'), ('<B', 'u1'), ('?', '?'), ('>?', '?'),
    ('<h', '<i2'), ('>h', '>i2'), ('!h', '>i2'), ('>H', '>u2'), ('=H', '=u2'),
    ('<i', '<i4'), ('>i', '>i4'), ('>I', '>u4'), ('>l', '>i4'), ('<L', '<u4'), ('>L', '>u4'),
    ('<q', '<i8'), ('>q', '>i8'), ('>Q', '>u8'), ('@q', '=i8'),
    ('<e', '<f2'), ('>e', '>f2'), ('<f', '<f4'), ('>f', '>f4'), ('<d', '<f8'), ('>d', '>f8'), ('!d', '>f8'),
    ('<Zf', '<c8'), ('>Zf', '>c8'), ('<Zd', '<c16'), ('>Zd', '>c16'),
]


def byteorder():
    out = []
    seen = set()
    for fmt, npdt in BYTEORDER:
        if fmt in seen:
            continue
        seen.add(fmt)
        dt = np.dtype(npdt)
        n = 10
        arr = np.array([fill(dt, i) for i in range(n)], dtype=dt)
        assert struct.calcsize(fmt.replace('Zf', 'ff').replace('Zd', 'dd')) == dt.itemsize
        out.append({
            'format': fmt,
            'itemsize': dt.itemsize,
            'bytes': arr.tobytes().hex(),
            'values': [enc_value(dt, arr[i]) for i in range(n)],
        })
    return out


def half():
    """Doubles and the float16 bits NumPy rounds them to (directly from double, ties to even).
    `double_rounding` marks values where rounding through float32 first gives other bits."""
    xs = [0.0, -0.0, 1.0, -2.5, 65504.0, 65519.99, 65520.0, 1e6, -1e6, 2.0**-24, 2.0**-25, 2.0**-25 * 1.0000001,
          3 * 2.0**-26, 2.0**-14, 2.0**-14 - 2.0**-24, 0.1, 1 / 3, 1 + 2.0**-11, 1 + 3 * 2.0**-11, 2049.0, 2051.0,
          1 + 2.0**-11 + 2.0**-40, 1 + 2.0**-11 - 2.0**-40, 2.0**-24 + 2.0**-60, 1.5 * 2.0**-24 - 2.0**-70,
          65519.0, 65520.0 - 2.0**-30, float('inf'), float('-inf'), 1e-30, -1e-30, 4097.0 + 2.0**-20]
    out = []
    for x in xs:
        with np.errstate(over='ignore'):  # overflow to inf is the point of some values
            bits, via32 = half_bits(x)
        out.append({'value': enc_float(x), 'bits': bits, 'double_rounding': bits != via32})
    return out


def half_bits(x):
    """NumPy's float16 bits of x, directly and through float32 first."""
    bits = int(np.array(x, dtype=np.float64).astype(np.float16).view(np.uint16))
    via32 = int(np.array(x, dtype=np.float64).astype(np.float32).astype(np.float16).view(np.uint16))
    return bits, via32


# ---- casts ---------------------------------------------------------------------------------------

def cast_sources():
    """(id, memoryview, JS description). Descriptions give memview's source: bytes, format, shape,
    strides, offset (bytes) and readonly."""
    out = []

    def add(sid, m, memory, fmt, shape, strides, offset, readonly):
        out.append((sid, m, {'id': sid, 'memory': memory.hex(), 'format': fmt, 'shape': shape,
                             'strides': strides, 'offset': offset, 'readonly': readonly}))

    b24 = bytes(range(24))
    add('bytes24', memoryview(bytearray(b24)), b24, 'B', [24], [1], 0, False)
    add('bytes24-ro', memoryview(b24), b24, 'B', [24], [1], 0, True)
    add('signed24', memoryview(bytearray(b24)).cast('b'), b24, 'b', [24], [1], 0, False)
    add('char24', memoryview(bytearray(b24)).cast('c'), b24, 'c', [24], [1], 0, False)
    add('at-B', memoryview(bytearray(b24)).cast('@B'), b24, '@B', [24], [1], 0, False)
    ints = pack_items('i', range(-3, 3))
    add('int6', memoryview(bytearray(ints)).cast('i'), ints, 'i', [6], [4], 0, False)
    add('int2x3', memoryview(bytearray(ints)).cast('B').cast('i', [2, 3]), ints, 'i', [2, 3], [12, 4], 0, False)
    add('bytes3x8', memoryview(bytearray(b24)).cast('B', [3, 8]), b24, 'B', [3, 8], [8, 1], 0, False)
    add('bytes2x3x4', memoryview(bytearray(b24)).cast('B', [2, 3, 4]), b24, 'B', [2, 3, 4], [12, 4, 1], 0, False)
    add('bytes-step2', memoryview(bytearray(b24))[::2], b24, 'B', [12], [2], 0, False)
    add('bytes-rev', memoryview(bytearray(b24))[::-1], b24, 'B', [24], [-1], 23, False)
    add('bytes-1-rev', memoryview(bytearray(b24))[5:6][::-1], b24, 'B', [1], [-1], 5, False)
    dbl = pack_items('d', [0.5, -1.5, 2.25])
    add('double3', memoryview(bytearray(dbl)).cast('d'), dbl, 'd', [3], [8], 0, False)
    add('double0d', memoryview(bytearray(dbl[:8])).cast('d', []), dbl[:8], 'd', [], [], 0, False)
    add('byte0d', memoryview(bytearray(b'\x07')).cast('B', []), b'\x07', 'B', [], [], 0, False)
    add('empty', memoryview(bytearray()), b'', 'B', [0], [1], 0, False)
    z = np.zeros((2, 0), np.uint8)
    add('empty2d', memoryview(z), b'', 'B', [2, 0], [0, 1], 0, False)
    f2 = np.asfortranarray(np.arange(6, dtype=np.uint8).reshape(2, 3))
    add('fortran2x3', memoryview(f2), f2.T.tobytes(), 'B', [2, 3], [1, 2], 0, False)
    le = np.arange(4, dtype='<i4')
    add('le-int', memoryview(le).cast('B').cast('B'), le.tobytes(), 'B', [16], [1], 0, False)
    # NumPy exports '<i4' as 'i'; an explicit '<i' format is not native for memoryview.cast.
    nd = tb.ndarray(list(range(4)), shape=[4], format='<i', flags=tb.ND_WRITABLE)
    add('lt-int', memoryview(nd), pack_items('<i', range(4)), '<i', [4], [4], 0, False)
    recs = [(1, 2.0), (3, 4.0)]
    nd = tb.ndarray(recs, shape=[2], format='i d', flags=tb.ND_WRITABLE)
    add('struct-id', memoryview(nd), b''.join(struct.pack('i d', *t) for t in recs), 'i d', [2], [16], 0, False)
    return out


# Not in the grid: 'e' (CPython accepts it from 3.12 on, gh-90751; memview does, see lib/cast.ts)
# and bool elements of shape (Python's True is the int 1; JS booleans are not numbers).
CASTS = [
    ('B', None), ('b', None), ('c', None), ('@B', None), ('i', None), ('@i', None), ('I', None), ('h', None),
    ('H', None), ('l', None), ('L', None), ('q', None), ('Q', None), ('n', None), ('N', None), ('f', None),
    ('d', None), ('?', None), ('P', None),
    ('B', [24]), ('B', [4, 6]), ('B', [2, 3, 4]), ('B', [2, 2, 2, 3]), ('B', [1, 24]), ('B', [24, 1]),
    ('i', [2, 3]), ('i', [6]), ('i', [3, 2]), ('h', [3, 4]), ('d', [3]), ('d', [1, 3]), ('q', [3]),
    ('B', []), ('d', []), ('i', []), ('B', [1]), ('B', [12]), ('B', [5, 5]), ('i', [7]),
    ('B', [0, 24]), ('B', [-1, 24]), ('B', [2, 0]), ('B', [2.5, 2]), ('B', ['2', 12]), ('B', 24),
    ('B', [1] * 65), ('B', [1] * 64), ('B', [2**62, 2**62]),
    ('=B', None), ('<i', None), ('>i', None), ('ii', None), ('x', None), ('Zd', None), ('g', None),
    ('s', None), ('', None), ('@', None), (' B', None), ('B ', None), ('T{B}', None),
]


def describe_cast_result(r):
    return {
        'format': r.format,
        'itemsize': r.itemsize,
        'ndim': r.ndim,
        'shape': list(r.shape),
        'strides': list(r.strides),
        'readonly': r.readonly,
        'nbytes': r.nbytes,
        'c': r.c_contiguous,
        'bytes': r.tobytes().hex(),
        'tolist': jsonable_cast(r.tolist()),
    }


def jsonable_cast(x):
    if isinstance(x, list):
        return [jsonable_cast(v) for v in x]
    if isinstance(x, bytes):
        return {'$bytes': x.hex()}
    if isinstance(x, float):
        return enc_float(x)
    if isinstance(x, int) and not isinstance(x, bool) and abs(x) > 2**53:
        return {'$big': str(x)}
    return x


def casts():
    srcs = cast_sources()
    out = {'sources': [d for _, _, d in srcs], 'cases': []}
    for sid, m, desc in srcs:
        # the JS reconstruction must describe the same view
        assert list(m.shape) == desc['shape'] and list(m.strides) == desc['strides'], sid
        assert m.format == desc['format'] and m.readonly == desc['readonly'], sid
        assert m.tobytes() == bytes(m) and bytes.fromhex(desc['memory']) is not None
        for fmt, shape in CASTS:
            case = {'source': sid, 'format': fmt, 'shape': shape}
            try:
                r = m.cast(fmt) if shape is None else m.cast(fmt, shape)
            except (TypeError, ValueError) as e:
                case['error'] = type(e).__name__
                case['message'] = str(e)
            else:
                case['result'] = describe_cast_result(r)
                r.release()
            out['cases'].append(case)
    return out


# ---- main ----------------------------------------------------------------------------------------

def generate():
    return {
        'version': VERSION,
        'generator': 'scripts/gen_buffer_fixtures.py',
        'python': platform.python_version(),
        'numpy': np.__version__,
        'flags': PyBUF,
        'requestFlags': FLAGS,
        'requests': testbuffer_sources() + numpy_sources(),
        'records': records(),
        'byteorder': byteorder(),
        'half': half(),
        'casts': casts(),
    }


def render(data):
    """One source / case per line, so diffs stay readable."""
    lines = ['{']
    keys = list(data)
    for i, k in enumerate(keys):
        v = data[k]
        comma = ',' if i < len(keys) - 1 else ''
        if isinstance(v, list) and v and isinstance(v[0], dict):
            lines.append(f'  {json.dumps(k)}: [')
            lines.append(',\n'.join('    ' + json.dumps(x, separators=(',', ':'), allow_nan=False) for x in v))
            lines.append(f'  ]{comma}')
        elif k == 'casts':
            lines.append(f'  {json.dumps(k)}: {{')
            lines.append('    "sources": [')
            lines.append(',\n'.join('      ' + json.dumps(x, separators=(',', ':'), allow_nan=False) for x in v['sources']))
            lines.append('    ],')
            lines.append('    "cases": [')
            lines.append(',\n'.join('      ' + json.dumps(x, separators=(',', ':'), allow_nan=False) for x in v['cases']))
            lines.append('    ]')
            lines.append(f'  }}{comma}')
        else:
            lines.append(f'  {json.dumps(k)}: {json.dumps(v, separators=(",", ":"), allow_nan=False)}{comma}')
    lines.append('}')
    return '\n'.join(lines) + '\n'


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(root, 'test', 'fixtures', 'buffers.json'))
    ap.add_argument('--check', action='store_true')
    args = ap.parse_args()
    if struct.calcsize('l') != 8:
        sys.exit("this generator assumes an LP64 host ('l' is 8 bytes), as memview does")
    data = generate()
    text = render(data)
    assert json.loads(text) == json.loads(json.dumps(data, allow_nan=False))  # well-formed, lossless
    if args.check:
        with open(args.out, encoding='utf-8') as f:
            if f.read() != text:
                print(f'{args.out} is out of date; run python3 scripts/gen_buffer_fixtures.py', file=sys.stderr)
                sys.exit(1)
        print('up to date')
        return
    with open(args.out, 'w', encoding='utf-8') as f:
        f.write(text)
    n_answers = sum(len(s['answers']) for s in data['requests'])
    print(f"wrote {args.out}: {len(data['requests'])} sources x {len(FLAGS)} requests = {n_answers} answers, "
          f"{len(data['records'])} record dtypes, {len(data['byteorder'])} byte orders, {len(data['half'])} half "
          f"values, {len(data['casts']['cases'])} casts")


if __name__ == '__main__':
    main()
