#!/usr/bin/env python3
"""Writes test/fixtures/indexing.json: golden cases for memview's indexing, views and assignment.

Every expectation is computed by NumPy (basic indexing on np views over a flat buffer), so the JS
tests can replay each case against memview without Python. The schema and the buffer formula are
documented in test/fixtures/README.md (section `indexing.json`).

Usage:  python3 scripts/gen_index_fixtures.py [--out PATH] [--check]
  --check   regenerate in memory and fail if the committed file differs.

Deterministic: a fixed seed and a single random.Random stream; running it twice gives identical
bytes. Pin: Python 3.11, NumPy 2.4 (the NumPy version is recorded in the file).
"""

import argparse
import ast
import itertools
import json
import math
import os
import random
import re
import sys

import numpy as np
from numpy.lib.stride_tricks import as_strided

SEED = 0x6D656D76  # 'memv'
VERSION = 1

# format char -> (numpy dtype, itemsize, kind)
FORMATS = {
    'b': (np.int8, 1, 'int'),
    'B': (np.uint8, 1, 'uint'),
    'h': (np.int16, 2, 'int'),
    'H': (np.uint16, 2, 'uint'),
    'i': (np.int32, 4, 'int'),
    'I': (np.uint32, 4, 'uint'),
    'l': (np.int64, 8, 'int'),
    'L': (np.uint64, 8, 'uint'),
    'q': (np.int64, 8, 'int'),
    'Q': (np.uint64, 8, 'uint'),
    'e': (np.float16, 2, 'float'),
    'f': (np.float32, 4, 'float'),
    'd': (np.float64, 8, 'float'),
    '?': (np.bool_, 1, 'bool'),
    'Zf': (np.complex64, 8, 'complex'),
    'Zd': (np.complex128, 16, 'complex'),
}
FORMAT_LIST = list(FORMATS)

# float16 holds every k * 0.5 - 3 exactly only while |value| < 1024: keep buffers below this.
MAX_NELEM = 2048

INIT_TEXT = (
    "element k (0-based position in the flat buffer) holds init(k): "
    "'?': k % 2 == 1; "
    "integers: u = (7*k + 3) % M with M = 128 for 'b', 256 for 'B', 32768 for 'h' 'i' 'l' 'q', "
    "65536 for 'H' 'I' 'L' 'Q'; unsigned types hold u, signed types hold u when k is even and -u "
    "when k is odd; "
    "'e' 'f' 'd': k * 0.5 - 3; "
    "'Zf' 'Zd': complex(k, -k), written [re, im]. "
    "A case with a 'data' array uses those values instead."
)

ERR_INDEX = 'ERR_MEMVIEW_INDEX'
NUMPY_DIRECT_NOTE = 'numpy-direct-differs: NumPy 2.4 in-place dst[...] = src gives another buffer'
ERR_SYNTAX = 'ERR_MEMVIEW_INDEX_SYNTAX'
ERR_STEP = 'ERR_MEMVIEW_SLICE_STEP'
ERR_EXTENT = 'ERR_MEMVIEW_EXTENT'


# =================================================================================================
# Buffer values
# =================================================================================================

def init_value(fmt, k):
    kind = FORMATS[fmt][2]
    if kind == 'bool':
        return k % 2 == 1
    if kind in ('int', 'uint'):
        if fmt == 'b':
            m = 128
        elif fmt == 'B':
            m = 256
        elif kind == 'int':
            m = 32768
        else:
            m = 65536
        u = (7 * k + 3) % m
        return -u if (kind == 'int' and k % 2 == 1) else u
    if kind == 'float':
        return k * 0.5 - 3
    return complex(k, -k)


def make_buffer(fmt, nelem, data=None):
    dt = FORMATS[fmt][0]
    vals = data if data is not None else [init_value(fmt, k) for k in range(nelem)]
    if FORMATS[fmt][2] == 'complex':
        vals = [complex(v[0], v[1]) if isinstance(v, list) else v for v in vals]
    buf = np.array(vals, dtype=dt)
    assert buf.shape == (nelem,)
    # The values must be exactly what the formula says (no rounding in float16 / float32).
    for k in range(nelem):
        want = vals[k]
        got = buf[k].item()
        assert got == want, (fmt, k, got, want)
    return buf


def to_json(x):
    """NumPy tolist() output -> JSON-ready (complex -> [re, im]); rejects NaN/inf."""
    if isinstance(x, list):
        return [to_json(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        assert abs(x) < 2 ** 53
        return x
    if isinstance(x, float):
        assert math.isfinite(x)
        return x
    if isinstance(x, complex):
        assert math.isfinite(x.real) and math.isfinite(x.imag)
        return [x.real, x.imag]
    raise TypeError(type(x))


# =================================================================================================
# Index expressions: parsing (Python's ast) and generation
# =================================================================================================

class IndexSyntaxError(Exception):
    pass


def _int_node(node):
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _int_node(node.operand)
        if v is None or not isinstance(node.operand, ast.Constant):
            return None
        return -v if isinstance(node.op, ast.USub) else v
    return None


def parse_index(expr):
    """Python index expression -> tuple for NumPy. Accepts what memview documents: decimal
    integers (optional sign), slices start:stop:step with parts omitted, '...', None, separated by
    commas. Raises IndexSyntaxError for everything else, and for a second '...'."""
    if expr.strip() == '':
        raise IndexSyntaxError('empty')
    try:
        tree = ast.parse('_[' + expr + ']', mode='eval')
    except SyntaxError:
        raise IndexSyntaxError('python syntax')
    node = tree.body
    if not isinstance(node, ast.Subscript):
        raise IndexSyntaxError('not a subscript')
    sl = node.slice
    elts = sl.elts if isinstance(sl, ast.Tuple) else [sl]
    out = []
    for e in elts:
        if isinstance(e, ast.Constant) and e.value is Ellipsis:
            out.append(Ellipsis)
        elif isinstance(e, ast.Constant) and e.value is None:
            out.append(None)
        elif isinstance(e, ast.Slice):
            parts = []
            for p in (e.lower, e.upper, e.step):
                if p is None:
                    parts.append(None)
                else:
                    v = _int_node(p)
                    if v is None:
                        raise IndexSyntaxError('slice part')
                    parts.append(v)
            out.append(slice(*parts))
        else:
            v = _int_node(e)
            if v is None:
                raise IndexSyntaxError('item')
            out.append(v)
    if sum(1 for x in out if x is Ellipsis) > 1:
        raise IndexSyntaxError('two ellipses')
    return tuple(out)


def predicted_errors(items, shape):
    """The error kinds an index tuple should raise on a view of `shape` (model, independent of
    NumPy's order of checks). Used to keep only cases with one unambiguous error code."""
    errs = set()
    n = len(shape)
    if sum(1 for x in items if x is Ellipsis) > 1:
        errs.add(ERR_SYNTAX)
    consumed = [x for x in items if x is not None and x is not Ellipsis]
    if any(isinstance(x, slice) and x.step == 0 for x in consumed):
        errs.add(ERR_STEP)
    if len(consumed) > n:
        errs.add(ERR_INDEX)
    elif ERR_SYNTAX in errs:
        # two ellipses: which axis an int meets is undefined, so any int that is out of range
        # for some axis makes the case ambiguous
        lo = min(shape) if shape else 0
        if any(isinstance(x, int) and not (-lo <= x < lo) for x in consumed):
            errs.add(ERR_INDEX)
    else:
        # map consumed items to axes: those after '...' meet the last axes
        ell = [i for i, y in enumerate(items) if y is Ellipsis]
        after = sum(1 for x in items[ell[0] + 1:] if x is not None) if ell else 0
        axis = 0
        for x in items:
            if x is Ellipsis:
                axis = n - after
                continue
            if x is None:
                continue
            if isinstance(x, int):
                e = shape[axis]
                if not (-e <= x < e):
                    errs.add(ERR_INDEX)
            axis += 1
    return errs


def np_code(exc):
    msg = str(exc)
    if isinstance(exc, IndexError):
        if 'ellipsis' in msg:
            return ERR_SYNTAX
        return ERR_INDEX
    if isinstance(exc, ValueError):
        if 'step cannot be zero' in msg:
            return ERR_STEP
        if 'broadcast' in msg:
            return ERR_EXTENT
    raise exc


def item_text(it, rng, ws):
    kind = it[0]
    if kind == 'int':
        return str(it[1])
    if kind == 'ell':
        return '...'
    if kind == 'none':
        return 'None'
    _, a, b, c, trailing = it
    sa = '' if a is None else str(a)
    sb = '' if b is None else str(b)
    colon = ':'
    if ws and rng.random() < 0.3:
        colon = rng.choice([' : ', ' :', ': '])
    if c is None:
        s = sa + colon + sb
        if trailing:
            s += colon
        return s
    return sa + colon + sb + colon + str(c)


def items_text(items, rng, ws=False):
    """Index item tokens -> expression string; ws=True varies whitespace heavily."""
    if ws:
        parts = [rng.choice(['', ' ', '  ', '\t']) + item_text(it, rng, True) + rng.choice(['', ' ', '  '])
                 for it in items]
        s = ','.join(parts)
        if rng.random() < 0.5:
            s = rng.choice([' ', '   ', '\t']) + s
        if rng.random() < 0.5:
            s = s + rng.choice([' ', '   ', '\t'])
        return s
    sep = ', ' if rng.random() < 0.6 else ','
    return sep.join(item_text(it, rng, False) for it in items)


def rand_slice(rng, e):
    """A random slice item for an axis of extent e: parts omitted at random, bounds often out of
    range, negative and large steps. Empty results are kept for about a third of the draws."""
    def bound():
        if rng.random() < 0.45:
            return None
        if rng.random() < 0.7:
            return rng.randint(-e, e) if e > 0 else rng.randint(-2, 2)
        return rng.randint(-e - 6, e + 6)  # often out of range: clamped as slice.indices does
    for _ in range(4):
        a, b = bound(), bound()
        r = rng.random()
        if r < 0.4:
            c = None
        elif r < 0.92:
            c = rng.choice([1, -1, -1, 2, -2, 3, -3, -1])
        else:
            c = rng.choice([1, -1]) * rng.randint(4, 12)
        if e == 0 or len(range(*slice(a, b, c).indices(e))) > 0 or rng.random() < 0.35:
            break
    trailing = c is None and rng.random() < 0.08
    return ('slice', a, b, c, trailing)


def gen_items(rng, shape, fault=None, allow_none=True):
    """Random valid index items for `shape`; `fault` injects one error kind:
    'oob' (int out of range), 'too_many', 'step0', 'two_ell'."""
    n = len(shape)
    use_ell = rng.random() < 0.3
    if use_ell:
        k = rng.randint(0, n)
    else:
        k = rng.randint(1, n) if n > 0 else 0
        if rng.random() < 0.6:
            k = n
    if fault == 'too_many':
        k = n + rng.randint(1, 2)
    pre = rng.randint(0, k) if use_ell else k
    axes = list(range(pre)) + list(range(n - (k - pre), n)) if k <= n else list(range(k))
    consumed = []
    for ax in axes:
        e = shape[ax] if ax < n else rng.randint(1, 4)
        if e > 0 and rng.random() < 0.3:
            consumed.append(['int', rng.randint(-e, e - 1)])
        else:
            consumed.append(list(rand_slice(rng, e)))
    if fault == 'oob':
        if not axes:
            return None
        i = rng.randrange(len(axes))
        e = shape[axes[i]]
        consumed[i] = ['int', rng.choice([e + rng.randint(0, 3), -e - 1 - rng.randint(0, 3)])]
    if fault == 'step0':
        cands = [i for i, it in enumerate(consumed) if it[0] == 'slice']
        if not cands:
            if not consumed:
                return None
            i = rng.randrange(len(consumed))
            consumed[i] = list(rand_slice(rng, 3))
        else:
            i = rng.choice(cands)
        consumed[i][3] = 0
        consumed[i][4] = False
    items = [tuple(x) for x in consumed]
    if use_ell:
        items.insert(pre, ('ell',))
    if fault == 'two_ell':
        items.insert(rng.randint(0, len(items)), ('ell',))
        if not use_ell:
            items.insert(rng.randint(0, len(items)), ('ell',))
    if allow_none:
        nn = rng.choice([0, 0, 0, 1, 1, 2])
        for _ in range(nn):
            items.insert(rng.randint(0, len(items)), ('none',))
    if not items:
        items = [('ell',)] if rng.random() < 0.5 else [('slice', None, None, None, False)]
    return items


# =================================================================================================
# Bases: a flat buffer and a strided view of it
# =================================================================================================

EXTENT_WEIGHTS = [3, 14, 18, 18, 15, 12, 10, 9]  # extents 0..7


def rand_shape(rng, ndim, limit, high=False):
    for _ in range(1000):
        if high:
            shape = [rng.choices([0, 1, 2, 3], [2, 45, 45, 8])[0] for _ in range(ndim)]
        else:
            shape = [rng.choices(range(8), EXTENT_WEIGHTS)[0] for _ in range(ndim)]
        if math.prod(shape) <= limit:
            return shape
    return [1] * ndim


def c_strides(shape):
    st, acc = [], 1
    for e in reversed(shape):
        st.append(acc)
        acc *= max(e, 1)
    return st[::-1]


def f_strides(shape):
    st, acc = [], 1
    for e in shape:
        st.append(acc)
        acc *= max(e, 1)
    return st


def rand_base(rng, fmt, shape, kind=None, max_nelem=MAX_NELEM):
    """Returns (base dict in bytes, nelem, kind): a random layout of `shape` over a flat buffer of
    nelem elements (at most max_nelem; falls back to C order when the layout would be larger)."""
    for _ in range(20):
        base, nelem, k = _rand_base(rng, fmt, shape, kind)
        if nelem <= max_nelem:
            return base, nelem, k
    return _rand_base(rng, fmt, shape, 'C')


def _rand_base(rng, fmt, shape, kind=None):
    isz = FORMATS[fmt][1]
    n = len(shape)
    kind = kind or rng.choices(['C', 'F', 'flip', 'sliced'], [30, 20, 20, 30])[0]
    size = math.prod(shape)
    if kind in ('C', 'F', 'flip'):
        if kind == 'flip':
            st = c_strides(shape) if rng.random() < 0.6 else f_strides(shape)
        else:
            st = c_strides(shape) if kind == 'C' else f_strides(shape)
        off = 0
        if kind == 'flip':
            axes = [d for d in range(n) if rng.random() < 0.5] or ([rng.randrange(n)] if n else [])
            for d in axes:
                if size > 0:
                    off += (shape[d] - 1) * st[d]
                st[d] = -st[d]
        front = rng.choice([0, 0, 0, 1, 3]) if kind != 'C' or rng.random() < 0.3 else 0
        back = rng.choice([0, 0, 0, 2])
        nelem = size + front + back
        off += front
    else:
        # a strided slice of a larger parent in C, F or permuted order
        steps = []
        pext = []
        for e in shape:
            s = rng.choice([1, 1, 2, 2, 3]) * rng.choice([1, -1])
            extra = rng.choice([0, 0, 1, 2])
            steps.append(s)
            pext.append(((e - 1) * abs(s) + 1 if e > 0 else rng.randint(1, 2)) + extra)
        perm = list(range(n))
        r = rng.random()
        if r < 0.3:
            pst_perm = c_strides([pext[d] for d in perm])
        elif r < 0.5:
            pst_perm = f_strides([pext[d] for d in perm])
        else:
            rng.shuffle(perm)
            pst_perm = c_strides([pext[d] for d in perm])
        pst = [0] * n
        for i, d in enumerate(perm):
            pst[d] = pst_perm[i]
        front = rng.choice([0, 0, 1, 2])
        off = front
        st = []
        for d, e in enumerate(shape):
            s = steps[d]
            span = (e - 1) * abs(s) if e > 0 else 0
            if s > 0:
                start = rng.randint(0, pext[d] - 1 - span)
            else:
                start = rng.randint(span, pext[d] - 1)
            off += start * pst[d]
            st.append(s * pst[d])
        nelem = math.prod(pext) + front + rng.choice([0, 0, 1])
    # reachable element range must lie inside the buffer
    if size > 0:
        lo = off + sum(min(0, (e - 1) * s) for e, s in zip(shape, st))
        hi = off + sum(max(0, (e - 1) * s) for e, s in zip(shape, st))
        assert 0 <= lo <= hi < nelem, (shape, st, off, nelem)
    assert 0 <= off <= nelem
    base = {'shape': list(shape), 'strides': [s * isz for s in st], 'offset': off * isz}
    return base, nelem, kind


def np_base(fmt, base, nelem, data=None):
    buf = make_buffer(fmt, nelem, data)
    isz = FORMATS[fmt][1]
    off = base['offset'] // isz
    v = as_strided(buf[off:], shape=tuple(base['shape']), strides=tuple(base['strides']), writeable=True)
    return buf, v


# =================================================================================================
# Evaluating op chains with NumPy
# =================================================================================================

def apply_op(cur, op):
    """-> ('view', arr) | ('scalar', value) | ('error', code)"""
    if 'at' in op:
        try:
            idx = parse_index(op['at'])
        except IndexSyntaxError:
            return ('error', ERR_SYNTAX)
        try:
            r = cur[idx]
        except (IndexError, ValueError) as e:
            return ('error', np_code(e))
        if isinstance(r, np.ndarray):
            assert np.shares_memory(r, cur) or r.size == 0 or cur.size == 0
            return ('view', r)
        assert isinstance(r, np.generic)
        return ('scalar', r)
    if 'T' in op:
        return ('view', cur.T)
    if 'transpose' in op:
        return ('view', cur.transpose(op['transpose']))
    if 'copy' in op:
        order = op['copy']
        r = np.array(cur, order=order, copy=True)
        fresh = np.empty(cur.shape, dtype=cur.dtype, order=order)
        assert r.strides == fresh.strides, (r.strides, fresh.strides)
        assert r.flags.c_contiguous if order == 'C' else r.flags.f_contiguous
        return ('view', r)
    raise ValueError(op)


def describe_view(arr):
    return {
        'shape': list(arr.shape),
        'strides': list(arr.strides),
        'c': bool(arr.flags.c_contiguous),
        'f': bool(arr.flags.f_contiguous),
        'values': to_json(arr.tolist()),
    }


def run_ops(v, ops):
    """-> (expect dict, final ndarray or None, ops actually kept)"""
    cur = v
    for j, op in enumerate(ops):
        kind, r = apply_op(cur, op)
        if kind == 'error':
            return {'error': r, 'op': j}, None, ops[:j + 1]
        if kind == 'scalar':
            return {'scalar': to_json(r.item())}, None, ops[:j + 1]
        cur = r
    return describe_view(cur), cur, ops


# =================================================================================================
# Case builders
# =================================================================================================

class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.cases = []

    def add(self, case):
        case = dict(case)
        case['id'] = len(self.cases)
        order = ['id', 'category', 'kind', 'format', 'itemsize', 'nelem', 'data', 'base', 'ops', 'dst',
                 'src', 'overlap', 'expect', 'note']
        self.cases.append({k: case[k] for k in order if k in case})

    # ---- view cases ------------------------------------------------------------------------

    def view_case(self, category, fmt, base, nelem, ops, data=None, note=None, want=None):
        _, v = np_base(fmt, base, nelem, data)
        expect, _, ops = run_ops(v, ops)
        if want is not None:
            for k, val in want.items():
                assert expect.get(k) == val, (note, k, expect.get(k), val)
        case = {'category': category, 'kind': 'view', 'format': fmt, 'itemsize': FORMATS[fmt][1],
                'nelem': nelem, 'base': base, 'ops': ops, 'expect': expect}
        if data is not None:
            case['data'] = data
        if note:
            case['note'] = note
        self.add(case)
        return expect

    def rand_at(self, shape, fault=None, ws=False):
        """A random expression for shape with at most one error kind; returns (expr, errs)."""
        rng = self.rng
        for _ in range(200):
            items = gen_items(rng, shape, fault)
            if items is None:
                fault = None
                continue
            expr = items_text(items, rng, ws)
            idx = parse_index_loose(expr)
            errs = predicted_errors(idx, shape)
            if len(errs) > 1:
                continue
            if fault and not errs:
                continue
            return expr, errs
        raise RuntimeError('no expression')

    def random_view_case(self, category, ndim, limit=360, chain=False, high=False, ws=False):
        rng = self.rng
        fmt = rng.choice(FORMAT_LIST)
        shape = rand_shape(rng, ndim, limit, high)
        base, nelem, _ = rand_base(rng, fmt, shape)
        _, v = np_base(fmt, base, nelem)
        nops = rng.choice([2, 2, 3, 3, 1]) if chain else 1
        ops = []
        cur = v
        for j in range(nops):
            if chain:
                r = rng.random()
                if j == 0 and r < 0.25:
                    r = 0  # mostly start with at
                if r < 0.5 or cur.ndim == 0 and r < 0.8:
                    op = self.at_op(cur.shape, ws)
                elif r < 0.65:
                    op = {'T': True}
                elif r < 0.78 and cur.ndim > 0:
                    axes = list(range(cur.ndim))
                    rng.shuffle(axes)
                    op = {'transpose': axes}
                else:
                    op = {'copy': rng.choice(['C', 'F'])}
            else:
                op = self.at_op(cur.shape, ws)
            ops.append(op)
            kind, r2 = apply_op(cur, op)
            if kind != 'view':
                break
            cur = r2
        return self.view_case(category, fmt, base, nelem, ops)

    def at_op(self, shape, ws=False):
        rng = self.rng
        r = rng.random()
        fault = None
        if r < 0.07:
            fault = 'oob'
        elif r < 0.10:
            fault = 'too_many'
        elif r < 0.125:
            fault = 'step0'
        elif r < 0.13:
            fault = 'two_ell'
        expr, _ = self.rand_at(shape, fault, ws)
        return {'at': expr}

    def element_case(self):
        """at() with an integer for every axis: a scalar, or ERR_MEMVIEW_INDEX for one bad index."""
        rng = self.rng
        fmt = rng.choice(FORMAT_LIST)
        for _ in range(100):
            shape = rand_shape(rng, rng.choices([1, 2, 3, 4, 6], [25, 30, 25, 15, 5])[0], 360)
            if 0 not in shape:
                break
        base, nelem, _ = rand_base(rng, fmt, shape)
        idx = [rng.randint(-e, e - 1) for e in shape]
        if rng.random() < 0.15:
            d = rng.randrange(len(shape))
            idx[d] = rng.choice([shape[d] + rng.randint(0, 2), -shape[d] - 1 - rng.randint(0, 2)])
        items = [('int', i) for i in idx]
        ws = rng.random() < 0.3
        expect = self.view_case('element', fmt, base, nelem, [{'at': items_text(items, rng, ws)}])
        assert 'scalar' in expect or expect.get('error') == ERR_INDEX

    # ---- assignment cases ------------------------------------------------------------------

    def assign_case(self, category, fmt, base, nelem, dst, src, data=None, note=None, want=None):
        """dst: ops list; src: {'scalar': v} or {'ops': [...]}. NumPy: dst[...] = src."""
        def evaluate(mode):
            buf, v = np_base(fmt, base, nelem, data)
            d_exp, d, _ = run_ops(v, dst)
            assert d is not None, ('dst must be a view', dst, d_exp)
            if 'scalar' in src:
                s = src['scalar']
                if isinstance(s, list):
                    s = complex(s[0], s[1])
            else:
                s_exp, s, _ = run_ops(v, src['ops'])
                assert s is not None, ('src must be a view', src, s_exp)
                if mode == 'copy-first':
                    s = s.copy()
            try:
                d[...] = s
            except ValueError as e:
                return {'error': np_code(e)}, None, None
            return {'buffer': to_json(buf.tolist())}, d, s
        expect, d, s = evaluate('copy-first')
        direct, _, _ = evaluate('direct')
        if expect != direct:
            # NumPy copies src first only when it sees a need; a 1-D dst and src whose strides have
            # the same sign but differ, partially overlapping, are assigned in place (see
            # numpy/numpy#6272). memview's contract is copy-first, which is what we record.
            assert d is not None and d.ndim == 1, (dst, src)
            note = ((note + '; ') if note else '') + NUMPY_DIRECT_NOTE
        overlap = False
        if d is not None and 'ops' in src:
            buf, v = np_base(fmt, base, nelem, data)
            dd = run_ops(v, dst)[1]
            ss = run_ops(v, src['ops'])[1]
            overlap = bool(np.shares_memory(dd, ss))
        case = {'category': category, 'kind': 'assign', 'format': fmt, 'itemsize': FORMATS[fmt][1],
                'nelem': nelem, 'base': base, 'dst': dst, 'src': src, 'overlap': overlap,
                'expect': expect}
        if data is not None:
            case['data'] = data
        if note:
            case['note'] = note
        if want is not None:
            for k, val in want.items():
                assert expect.get(k) == val, (note, k, expect.get(k), val)
        self.add(case)
        return expect, overlap

    def rand_scalar(self, fmt):
        rng = self.rng
        kind = FORMATS[fmt][2]
        if kind == 'bool':
            return rng.random() < 0.5
        if kind == 'int':
            return rng.randint(-100, 100)
        if kind == 'uint':
            return rng.randint(0, 200)
        if kind == 'float':
            return rng.randint(-100, 100) * 0.5
        return [rng.randint(-50, 50) * 0.5, rng.randint(-50, 50) * 0.5]

    def valid_view_ops(self, v, allow_T=True):
        """A random error-free at (+ maybe .T) on v producing a view."""
        rng = self.rng
        for _ in range(200):
            expr, errs = self.rand_at(v.shape)
            if errs:
                continue
            ops = [{'at': expr}]
            kind, r = apply_op(v, ops[0])
            if kind != 'view':
                continue
            if allow_T and r.ndim >= 2 and rng.random() < 0.15:
                ops.append({'T': True})
                r = r.T
            return ops, r
        raise RuntimeError('no view ops')

    def build_expr_for_shape(self, base_shape, target):
        """Index expression on base_shape whose result has shape `target` (order-preserving), with
        random steps/signs/out-of-range stops. None if impossible in this attempt."""
        rng = self.rng
        n = len(base_shape)
        items = []
        ax = 0
        for L in target:
            # choose: None (L == 1 only) or a base axis (skipping others with int indices)
            if L == 1 and rng.random() < 0.3:
                items.append(('none',))
                continue
            cands = [a for a in range(ax, n) if base_shape[a] >= L and
                     all(base_shape[b] > 0 for b in range(ax, a))]
            if not cands:
                if L == 1:
                    items.append(('none',))
                    continue
                return None
            a = rng.choice(cands[:3])
            for b in range(ax, a):
                e = base_shape[b]
                items.append(('int', rng.randint(-e, e - 1)))
            e = base_shape[a]
            items.append(self.slice_of_len(e, L))
            ax = a + 1
        rest = list(range(ax, n))
        if any(base_shape[b] == 0 for b in rest):
            return None
        for b in rest:
            e = base_shape[b]
            items.append(('int', rng.randint(-e, e - 1)))
        if not items:
            items = [('ell',)]
        return items

    def slice_of_len(self, e, L):
        rng = self.rng
        if L == 0:
            return rng.choice([('slice', 2, 2, None, False), ('slice', e, None, None, False),
                               ('slice', 0, 0, -1, False), ('slice', None, -e - 3, None, False),
                               ('slice', 1, 3, -1, False)])
        s_abs_max = max(1, (e - 1) // (L - 1)) if L > 1 else 3
        s = rng.randint(1, min(3, s_abs_max))
        span = (L - 1) * s
        neg = rng.random() < 0.4
        if not neg:
            start = rng.randint(0, e - 1 - span)
            stop = start + L * s
            if stop > e and rng.random() < 0.5:
                stop = e + rng.randint(0, 5)
            elif stop >= e and rng.random() < 0.5:
                stop = None
            sa = start - e if rng.random() < 0.3 else start
            if sa == 0 and rng.random() < 0.5:
                sa = None
            sb = stop if stop is None or stop >= e or rng.random() < 0.7 else stop - e
            step = None if s == 1 and rng.random() < 0.6 else s
            return ('slice', sa, sb, step, False)
        start = rng.randint(span, e - 1)
        stop = start - L * s
        if stop < 0:
            sb = None if rng.random() < 0.5 else -e - 1 - rng.randint(0, 4)
        else:
            sb = stop - e if rng.random() < 0.3 else stop
        sa = start - e if rng.random() < 0.4 else start
        return ('slice', sa, sb, -s, False)

    def src_target_shape(self, dshape, mismatch=False, leading_ones=False):
        rng = self.rng
        t = list(dshape)
        # drop some leading dims
        drop = rng.randint(0, len(t)) if rng.random() < 0.4 else 0
        t = t[drop:]
        for i in range(len(t)):
            if rng.random() < 0.3:
                t[i] = 1
        if leading_ones:
            t = [1] * rng.randint(1, 2) + t
        if mismatch:
            if not t or rng.random() < 0.1:
                # an extra leading dim of extent >= 2 (or a 1-D source into a 0-d view)
                return [rng.randint(2, 4)] + list(dshape)
            i = rng.randrange(len(t))
            j = len(dshape) - len(t) + i
            dd = dshape[j] if j >= 0 else 1
            t[i] = rng.choice([x for x in range(0, 6) if x != dd and x != 1])
        return t

    def random_assign_case(self, category, mode):
        """mode: 'scalar' | 'view' | 'overlap' | 'mismatch' | 'empty' | 'leading1'"""
        rng = self.rng
        for _ in range(500):
            fmt = rng.choice(FORMAT_LIST)
            ndim = rng.choices([1, 2, 3, 4], [25, 35, 28, 12])[0]
            shape = rand_shape(rng, ndim, 120)
            if mode == 'empty' and 0 not in shape and rng.random() < 0.5:
                shape[rng.randrange(ndim)] = 0
            base, nelem, _ = rand_base(rng, fmt, shape, max_nelem=300)
            _, v = np_base(fmt, base, nelem)
            dst, d = self.valid_view_ops(v)
            if mode == 'empty' and d.size != 0:
                if d.ndim == 0:
                    continue
                ax = rng.randrange(d.ndim)
                k = rng.randint(-d.shape[ax], d.shape[ax])
                parts = [':'] * d.ndim
                parts[ax] = rng.choice([f'{k}:{k}', f'{d.shape[ax]}:', f':{-d.shape[ax] - 2}', f'{k}:{k}:-1'])
                dst = dst + [{'at': ', '.join(parts)}]
                d = run_ops(v, dst)[1]
                assert d.size == 0, (dst, d.shape)
            elif mode != 'empty' and d.size == 0 and rng.random() < 0.9:
                continue
            if mode == 'scalar' or (mode == 'empty' and rng.random() < 0.4):
                src = {'scalar': self.rand_scalar(fmt)}
                self.assign_case(category, fmt, base, nelem, dst, src)
                return
            target = self.src_target_shape(list(d.shape), mismatch=(mode == 'mismatch'),
                                           leading_ones=(mode == 'leading1'))
            transposed = len(target) >= 2 and rng.random() < 0.3
            build_t = target[::-1] if transposed else target
            items = self.build_expr_for_shape(list(v.shape), build_t)
            if items is None:
                continue
            expr = items_text(items, rng)
            sops = [{'at': expr}]
            kind, s = apply_op(v, sops[0])
            if kind != 'view':
                continue
            assert list(s.shape) == build_t, (v.shape, expr, s.shape, build_t)
            if transposed:
                sops.append({'T': True})
            if mode == 'view' and rng.random() < 0.5:
                sops.append({'copy': rng.choice(['C', 'F'])})
            if mode == 'overlap':
                ss = run_ops(v, sops)[1]
                if not np.shares_memory(ss, d):
                    continue
            expect, _ = self.assign_case(category, fmt, base, nelem, dst, {'ops': sops})
            if mode == 'mismatch':
                assert expect.get('error') == ERR_EXTENT, (d.shape, target, expect)
            else:
                assert 'buffer' in expect, (d.shape, target, expect)
            return
        raise RuntimeError('assign case not found: ' + mode)

    def pattern_overlap_case(self):
        """Hand-shaped overlaps: reversed, shifted, transposed square block, row broadcast."""
        rng = self.rng
        pat = rng.choice(['reverse', 'shift', 'transpose', 'rowcast'])
        for _ in range(200):
            fmt = rng.choice(FORMAT_LIST)
            if pat == 'reverse':
                ndim = rng.choice([1, 2, 3])
                shape = rand_shape(rng, ndim, 120)
                base, nelem, _ = rand_base(rng, fmt, shape, max_nelem=300)
                _, v = np_base(fmt, base, nelem)
                dst, d = self.valid_view_ops(v, allow_T=False)
                if d.ndim == 0:
                    continue
                flips = ','.join(rng.choice(['::-1', ':']) for _ in range(d.ndim))
                if '::-1' not in flips:
                    flips = '::-1' + flips[1:]
                src = {'ops': dst + [{'at': flips}]}
            elif pat == 'shift':
                ndim = rng.choice([1, 2, 3])
                shape = rand_shape(rng, ndim, 120)
                ax = rng.randrange(ndim)
                if shape[ax] < 3:
                    continue
                base, nelem, _ = rand_base(rng, fmt, shape, max_nelem=300)
                e = shape[ax]
                k = rng.randint(1, e - 1)
                r = rng.random()
                if r < 0.35:
                    a, b = f'{k}:', rng.choice([f':{e - k}', f':{-k}'])
                elif r < 0.7:
                    a, b = rng.choice([f':{e - k}', f':{-k}']), f'{k}:'
                else:  # reversed and shifted
                    a, b = f'{e - 1}:{k - 1}:-1', f'{e - 1 - k}::-1'
                    if rng.random() < 0.5:
                        a, b = b, a
                pre = ', '.join([':'] * ax)
                da = (pre + ', ' if pre else '') + a
                sb = (pre + ', ' if pre else '') + b
                dst = [{'at': da}]
                src = {'ops': [{'at': sb}]}
                _, v = np_base(fmt, base, nelem)
                if run_ops(v, dst)[1].shape != run_ops(v, src['ops'])[1].shape:
                    continue
            elif pat == 'transpose':
                m = rng.randint(2, 6)
                extra = rng.choice([[], [], [rng.randint(1, 3)]])
                shape = extra + [m + rng.randint(0, 1), m + rng.randint(0, 1)]
                base, nelem, _ = rand_base(rng, fmt, shape, max_nelem=300)
                pre = ':, ' if extra else ''
                o1, o2 = rng.randint(0, shape[-2] - m), rng.randint(0, shape[-1] - m)
                blk = f'{pre}{o1}:{o1 + m}, {o2}:{o2 + m}'
                dst = [{'at': blk}]
                if extra:
                    src = {'ops': [{'at': blk}, {'transpose': [0, 2, 1]}]}
                else:
                    src = {'ops': [{'at': blk}, {'T': True}]}
            else:  # rowcast: a[...] = a[i] / a[:, j:j+1]
                ndim = rng.choice([2, 3])
                shape = rand_shape(rng, ndim, 120)
                if shape[0] < 2 or 0 in shape:
                    continue
                base, nelem, _ = rand_base(rng, fmt, shape, max_nelem=300)
                i = rng.randint(-shape[0], shape[0] - 1)
                if rng.random() < 0.5:
                    dst = [{'at': '...'}]
                    src = {'ops': [{'at': str(i)}]}
                else:
                    j = rng.randint(0, shape[-1] - 1)
                    dst = [{'at': '::-1' if rng.random() < 0.5 else ':'}]
                    src = {'ops': [{'at': f'..., {j}:{j + 1}'}]}
            _, v = np_base(fmt, base, nelem)
            d, sv = run_ops(v, dst)[1], run_ops(v, src['ops'])[1]
            if d is None or sv is None or not np.shares_memory(d, sv):
                continue
            expect, _ = self.assign_case('assign-overlap', fmt, base, nelem, dst, src,
                                               note='pattern: ' + pat)
            assert 'buffer' in expect, (pat, dst, src, expect)
            return
        raise RuntimeError('pattern')


def parse_index_loose(expr):
    """Like parse_index but lets two ellipses through (for the error model)."""
    try:
        return parse_index(expr)
    except IndexSyntaxError:
        tree = ast.parse('_[' + expr + ']', mode='eval')
        sl = tree.body.slice
        elts = sl.elts if isinstance(sl, ast.Tuple) else [sl]
        out = []
        for e in elts:
            if isinstance(e, ast.Constant) and e.value is Ellipsis:
                out.append(Ellipsis)
            elif isinstance(e, ast.Constant) and e.value is None:
                out.append(None)
            elif isinstance(e, ast.Slice):
                out.append(slice(*[None if p is None else _int_node(p) for p in (e.lower, e.upper, e.step)]))
            else:
                out.append(_int_node(e))
        return tuple(out)


# =================================================================================================
# Fixed vectors (reference/anchors.md A3, A5, A6) and malformed strings
# =================================================================================================

def vectors(g):
    r10 = list(range(10))
    c1d = lambda n, isz: {'shape': [n], 'strides': [isz], 'offset': 0}

    # A5: m[-2:0:-2] = 6 on 0..9 -> 0 1 6 3 6 5 6 7 6 9
    g.assign_case('vector', 'i', c1d(10, 4), 10, [{'at': '-2:0:-2'}], {'scalar': 6}, data=r10,
                  note='anchors A5: m[-2:0:-2] = 6', want={'buffer': [0, 1, 6, 3, 6, 5, 6, 7, 6, 9]})
    # A3: s[None, 10:-20:2, None] on len 50 -> (1, 10, 1)
    g.view_case('vector', 'i', c1d(50, 4), 50, [{'at': 'None, 10:-20:2, None'}],
                note='anchors A3: newaxis', want={'shape': [1, 10, 1], 'strides': [0, 8, 0]})
    # A6: F array (5, 7, 11) itemsize 1: strides 1 5 35; copy() -> 77 11 1; copy_fortran -> 1 5 35
    fb = {'shape': [5, 7, 11], 'strides': [1, 5, 35], 'offset': 0}
    g.view_case('vector', 'B', fb, 385, [{'copy': 'C'}], note='anchors A6: copy of F array',
                want={'strides': [77, 11, 1], 'c': True, 'f': False})
    g.view_case('vector', 'B', fb, 385, [{'copy': 'F'}], note='anchors A6: copyFortran of F array',
                want={'strides': [1, 5, 35], 'c': False, 'f': True})
    g.view_case('vector', 'B', fb, 385, [{'T': True}], note='anchors A6: .T of F array',
                want={'strides': [35, 5, 1], 'c': True, 'f': False})
    # A6 flags: (1,1,1) F-array both; (2,2,2) F -> F only; copy -> C only; strided[::2] -> neither
    g.view_case('vector', 'i', {'shape': [1, 1, 1], 'strides': [4, 4, 4], 'offset': 0}, 1, [{'at': '...'}],
                note='anchors A6: (1,1,1) is C and F', want={'c': True, 'f': True})
    f222 = {'shape': [2, 2, 2], 'strides': [4, 8, 16], 'offset': 0}
    g.view_case('vector', 'i', f222, 8, [{'at': '...'}], note='anchors A6: (2,2,2) Fortran',
                want={'c': False, 'f': True})
    g.view_case('vector', 'i', f222, 8, [{'copy': 'C'}], note='anchors A6: (2,2,2) Fortran copy()',
                want={'c': True, 'f': False, 'strides': [16, 8, 4]})
    g.view_case('vector', 'i', f222, 8, [{'copy': 'F'}], note='anchors A6: (2,2,2) copyFortran()',
                want={'c': False, 'f': True, 'strides': [4, 8, 16]})
    g.view_case('vector', 'i', c1d(10, 4), 10, [{'at': '::2'}], note='anchors A6: strided[::2]',
                want={'c': False, 'f': False, 'strides': [8]})
    # A4 geometry on a direct array: a[-5:, ..., -5:100:2] on 9x14x21 -> 5 14 3
    g.view_case('vector', 'i', {'shape': [9, 14, 21], 'strides': [1176, 84, 4], 'offset': 0}, 2646,
                [{'at': '-5:, ..., -5:100:2'}], note='anchors A4: slicing geometry (direct)',
                want={'shape': [5, 14, 3], 'strides': [1176, 84, 8]})
    # A3: where Cython diverges from slice.indices; memview follows Python/NumPy
    for expr, want in [('5:4:2', []), ('4:5:-2', []), ('3:-100:-1', [3, 2, 1, 0]), ('-100::-1', []),
                       ('::-1', [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]), ('-3:-100:-3', [7, 4, 1]), ('100:-100:-4', [9, 5, 1])]:
        g.view_case('vector', 'i', c1d(10, 4), 10, [{'at': expr}], data=r10,
                    note='anchors A3: Python slice semantics, not Cython\'s', want={'values': want})
    g.view_case('vector', 'i', c1d(0, 4), 0, [{'at': ':-9:-4'}], note='anchors A3: empty dim [:-9:-4]',
                want={'shape': [0]})
    # A5: (2,2,3)[...] = (3,2,3) -> differing extents in dimension 0
    b523 = {'shape': [5, 2, 3], 'strides': [24, 12, 4], 'offset': 0}
    g.assign_case('vector', 'i', b523, 30, [{'at': '0:2'}], {'ops': [{'at': '2:5'}]},
                  note='anchors A5: differing extents in dimension 0 (got 2 and 3)',
                  want={'error': ERR_EXTENT})
    # A5: int[:, ::1] m[:, :1] = 30 touches column 0 only (cython#2941)
    g.assign_case('vector', 'i', {'shape': [3, 4], 'strides': [16, 4], 'offset': 0}, 12, [{'at': ':, :1'}],
                  {'scalar': 30}, data=list(range(12)), note='anchors A5: cython#2941',
                  want={'buffer': [30, 1, 2, 3, 30, 5, 6, 7, 30, 9, 10, 11]})
    # A5: s[...] = s[::-1] reverses (overlap via temporary)
    g.assign_case('vector', 'i', c1d(10, 4), 10, [{'at': '...'}], {'ops': [{'at': '::-1'}]}, data=r10,
                  note='anchors A5: s[...] = s[::-1]', want={'buffer': r10[::-1]})
    # A5: empty assignment (cython#6230): view[5:5] = view[2:2]
    g.assign_case('vector', 'B', c1d(10, 1), 10, [{'at': '5:5'}], {'ops': [{'at': '2:2'}]}, data=r10,
                  note='anchors A5: empty slice assignment (cython#6230)', want={'buffer': r10})
    # Overlap with unequal same-sign strides in 1-D: NumPy assigns in place here; copy-first is
    # the contract (the generator notes the difference)
    g.assign_case('vector', 'i', c1d(12, 4), 12, [{'at': '::2'}], {'ops': [{'at': '3:9'}]},
                  data=list(range(12)), note='copy-first semantics (A5)',
                  want={'buffer': [3, 1, 4, 3, 5, 5, 6, 7, 7, 9, 8, 11]})
    # B3: tolist of a 0-d view is a scalar; bool and float element values
    g.view_case('vector', '?', c1d(4, 1), 4, [{'at': '1, ...'}], note='B3: 0-d view tolist() is a scalar',
                want={'shape': [], 'values': True})
    g.view_case('vector', 'e', c1d(4, 2), 4, [{'at': '::-1'}], note='B3: e -> float',
                want={'values': [-1.5, -2.0, -2.5, -3.0]})


MALFORMED = [
    '1:2:3:4', '[', 'a', '1.5', ',,', '1,,2', '', ' ', '\t', '1 2', '::-', '1:2]', ']', '..', '....',
    '. . .', '1e3', 'x:1', '1:a', '1-', '*', '1;2', ', 1', ',', '[1]', '[0, 1]', 'True', 'False',
    'none', 'NONE', '1:2:3:', '-', '1:-', '01', '1__0', '1_', '::1.0', '0.', '1j', 'None None',
    '..., ...', '...,...', '..., 0, ...', 'None, ..., None, ...', '1, :, ..., ...', '"1"', '{}', '1:2:3:4:5',
    ': : : :', '1 :2 :3 :4', 'len(x)', 'slice(1)',
]


def malformed(g):
    rng = g.rng
    for k, expr in enumerate(MALFORMED):
        # each string on two different bases (1-D and 3-D, different types)
        for ndim in (1, 3):
            fmt = FORMAT_LIST[(k * 2 + ndim) % len(FORMAT_LIST)]
            shape = rand_shape(rng, ndim, 60)
            base, nelem, _ = rand_base(rng, fmt, shape)
            e = g.view_case('syntax', fmt, base, nelem, [{'at': expr}])
            assert e == {'error': ERR_SYNTAX, 'op': 0}, (expr, e)


# Python literals the grammar accepts (decimal ints with sign or underscores, trailing comma).
LITERALS = ['+1', '-0', '0', '+0:-1', '1_0:', '1,', ':, 0,', '..., -1 ,', ' - 1', '::+2', '0 :  : -1', ': :', '::']


def literals(g):
    rng = g.rng
    for k, expr in enumerate(LITERALS):
        for ndim in (1, 2):
            fmt = FORMAT_LIST[(k * 3 + ndim) % len(FORMAT_LIST)]
            shape = [rng.randint(2, 7) for _ in range(ndim)]
            if '1_0' in expr:
                shape[0] = 12
            base, nelem, _ = rand_base(rng, fmt, shape)
            g.view_case('literal', fmt, base, nelem, [{'at': expr}])


# =================================================================================================
# Self-check: replays every case from the documented rules alone (no NumPy), as the JS tests will.
# It pins down the two NumPy behaviours that are easy to miss (see README): an empty slice keeps
# the parent's stride, and a fresh copy of an empty view has all-zero strides.
# =================================================================================================

_MODEL_INT = re.compile(r'^[+-]?\s*(0(_?0)*|[1-9](_?[0-9])*)$')


class _ModelError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def _model_int(t):
    t = t.strip()
    if not _MODEL_INT.match(t):
        raise _ModelError(ERR_SYNTAX)
    return int(t.replace(' ', '').replace('\t', ''))


def _model_parse(expr):
    """The grammar, as a hand parser: items split on ',' (one trailing comma allowed), each
    '...', 'None', an int, or a slice of at most three ':'-separated int-or-empty parts."""
    if expr.strip() == '':
        raise _ModelError(ERR_SYNTAX)
    parts = expr.split(',')
    if len(parts) > 1 and parts[-1].strip() == '':
        parts = parts[:-1]
    out = []
    for p in parts:
        t = p.strip()
        if t == '':
            raise _ModelError(ERR_SYNTAX)
        if t == '...':
            out.append(Ellipsis)
        elif t == 'None':
            out.append(None)
        elif ':' in t:
            q = t.split(':')
            if len(q) > 3:
                raise _ModelError(ERR_SYNTAX)
            q = [None if x.strip() == '' else _model_int(x) for x in q] + [None] * (3 - len(q))
            out.append(slice(*q))
        else:
            out.append(_model_int(t))
    if sum(1 for x in out if x is Ellipsis) > 1:
        raise _ModelError(ERR_SYNTAX)
    return out


class _MView:
    def __init__(self, mem, shape, strides, off, isz):
        self.mem, self.shape, self.strides, self.off, self.isz = mem, list(shape), list(strides), off, isz

    def size(self):
        return math.prod(self.shape)

    def _k(self, idx):
        a = self.off + sum(i * st for i, st in zip(idx, self.strides))
        assert a % self.isz == 0
        return a // self.isz

    def get(self, idx):
        return self.mem[self._k(idx)]

    def put(self, idx, v):
        self.mem[self._k(idx)] = v

    def indices(self):
        return itertools.product(*[range(e) for e in self.shape])

    def tolist(self, pre=()):
        if len(pre) == len(self.shape):
            return self.get(pre)
        return [self.tolist(pre + (i,)) for i in range(self.shape[len(pre)])]

    def flags(self):
        # NumPy: an empty view is both; axes of extent 1 are ignored
        if self.size() == 0:
            return True, True

        def ok(axes):
            acc = self.isz
            for e, st in axes:
                if e != 1:
                    if st != acc:
                        return False
                    acc *= e
            return True
        z = list(zip(self.shape, self.strides))
        return ok(z[::-1]), ok(z)


def _model_at(v, expr):
    items = _model_parse(expr)
    n = len(v.shape)
    consumed = [x for x in items if x is not None and x is not Ellipsis]
    if any(isinstance(x, slice) and x.step == 0 for x in consumed):
        raise _ModelError(ERR_STEP)
    if len(consumed) > n:
        raise _ModelError(ERR_INDEX)
    has_ell = Ellipsis in items
    fill = [slice(None)] * (n - len(consumed))
    if has_ell:
        k = items.index(Ellipsis)
        items = items[:k] + fill + items[k + 1:]
    else:
        items = items + fill
    shape, strides, off, ax = [], [], v.off, 0
    for x in items:
        if x is None:
            shape.append(1)
            strides.append(0)
            continue
        e, st = v.shape[ax], v.strides[ax]
        ax += 1
        if isinstance(x, int):
            if not -e <= x < e:
                raise _ModelError(ERR_INDEX)
            off += (x + e if x < 0 else x) * st
        else:
            start, stop, step = x.indices(e)
            length = len(range(start, stop, step))
            if length == 0:
                shape.append(0)
                strides.append(st)  # NumPy: an empty slice keeps the parent's stride
            else:
                shape.append(length)
                strides.append(st * step)
                off += start * st
    if not has_ell and all(isinstance(x, int) for x in items):
        return 'scalar', _MView(v.mem, [], [], off, v.isz).get(())
    return 'view', _MView(v.mem, shape, strides, off, v.isz)


def _model_fresh_strides(shape, isz, order):
    if math.prod(shape) == 0:
        return [0] * len(shape)  # NumPy 2: a fresh empty array has all-zero strides
    st, acc = [0] * len(shape), isz
    for i in (range(len(shape) - 1, -1, -1) if order == 'C' else range(len(shape))):
        st[i] = acc
        acc *= shape[i]
    return st


def _model_apply(v, op):
    if 'at' in op:
        return _model_at(v, op['at'])
    if 'T' in op:
        return 'view', _MView(v.mem, v.shape[::-1], v.strides[::-1], v.off, v.isz)
    if 'transpose' in op:
        a = op['transpose']
        return 'view', _MView(v.mem, [v.shape[i] for i in a], [v.strides[i] for i in a], v.off, v.isz)
    w = _MView([None] * max(1, v.size()), v.shape, _model_fresh_strides(v.shape, v.isz, op['copy']), 0, v.isz)
    for idx in v.indices():
        w.put(idx, v.get(idx))
    return 'view', w


def _model_run(v, ops):
    for j, op in enumerate(ops):
        try:
            kind, r = _model_apply(v, op)
        except _ModelError as e:
            return {'error': e.code, 'op': j}, None
        if kind == 'scalar':
            return {'scalar': r}, None
        v = r
    c, f = v.flags()
    return {'shape': v.shape, 'strides': v.strides, 'c': c, 'f': f, 'values': v.tolist()}, v


def _model_init(fmt, k):
    v = init_value(fmt, k)
    return [v.real, v.imag] if isinstance(v, complex) else v


def _model_assign(dst, src):
    """dst[...] = src with NumPy broadcasting, reading all of src before writing."""
    sd = dst.shape
    if len(src.shape) > len(sd):
        extra = len(src.shape) - len(sd)
        if any(e != 1 for e in src.shape[:extra]):
            return False
        src = _MView(src.mem, src.shape[extra:], src.strides[extra:], src.off, src.isz)
    k = len(sd) - len(src.shape)
    shp, st = [1] * k + src.shape, [0] * k + src.strides
    for i in range(len(sd)):
        if shp[i] != sd[i]:
            if shp[i] != 1:
                return False
            st[i] = 0
    sv = _MView(src.mem, sd, st, src.off, src.isz)
    idxs = list(dst.indices())
    vals = [sv.get(i) for i in idxs]
    for i, x in zip(idxs, vals):
        dst.put(i, x)
    return True


def model_check(cases):
    """Replays every case from the documented rules; returns the ids that disagree."""
    bad = []
    for c in cases:
        mem = list(c['data']) if 'data' in c else [_model_init(c['format'], k) for k in range(c['nelem'])]
        b = c['base']
        v = _MView(mem, b['shape'], b['strides'], b['offset'], c['itemsize'])
        if c['kind'] == 'view':
            got = _model_run(v, c['ops'])[0]
        else:
            dv = _model_run(v, c['dst'])[1]
            if 'scalar' in c['src']:
                sv = _MView([c['src']['scalar']], [], [], 0, 1)
            else:
                sv = _model_run(v, c['src']['ops'])[1]
            got = {'buffer': mem} if _model_assign(dv, sv) else {'error': ERR_EXTENT}
        if json.dumps(got) != json.dumps(c['expect']) and got != c['expect']:
            bad.append(c['id'])
    return bad


# =================================================================================================
# Main
# =================================================================================================

def generate():
    g = Gen(SEED)
    vectors(g)
    malformed(g)
    literals(g)
    rng = g.rng
    for _ in range(1900):
        ndim = rng.choices([1, 2, 3, 4], [25, 30, 27, 18])[0]
        g.random_view_case('index', ndim)
    for _ in range(120):
        ndim = rng.choices([1, 2, 3, 4], [25, 30, 27, 18])[0]
        g.random_view_case('whitespace', ndim, ws=True)
    for _ in range(240):
        g.element_case()
    for _ in range(180):
        g.random_view_case('highdim', rng.randint(5, 10), limit=256, high=True, chain=rng.random() < 0.4)
    for _ in range(900):
        ndim = rng.choices([0, 1, 2, 3, 4], [0, 20, 30, 30, 20])[0]
        g.random_view_case('chain', ndim, chain=True)
    for _ in range(320):
        g.random_assign_case('assign-scalar', 'scalar')
    for _ in range(300):
        g.random_assign_case('assign-view', 'view')
    for _ in range(180):
        g.random_assign_case('assign-overlap', 'overlap')
    for _ in range(140):
        g.pattern_overlap_case()
    for _ in range(80):
        g.random_assign_case('assign-empty', 'empty')
    for _ in range(30):
        g.random_assign_case('assign-leading1', 'leading1')
    for _ in range(120):
        g.random_assign_case('assign-extent-error', 'mismatch')
    return g.cases


def render(cases):
    head = {
        'version': VERSION,
        'generator': 'scripts/gen_index_fixtures.py',
        'numpy': np.__version__,
        'seed': SEED,
        'init': INIT_TEXT,
        'formats': {f: {'itemsize': FORMATS[f][1], 'numpy': np.dtype(FORMATS[f][0]).name} for f in FORMAT_LIST},
        'count': len(cases),
    }
    lines = ['{']
    for k, v in head.items():
        lines.append(f'  {json.dumps(k)}: {json.dumps(v, separators=(",", ":"))},')
    lines.append('  "cases": [')
    body = [json.dumps(c, separators=(',', ':'), allow_nan=False) for c in cases]
    lines.append(',\n'.join(body))
    lines.append('  ]')
    lines.append('}')
    return '\n'.join(lines) + '\n'


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(root, 'test', 'fixtures', 'indexing.json'))
    ap.add_argument('--check', action='store_true')
    args = ap.parse_args()
    cases = generate()
    bad = model_check(cases)
    if bad:
        sys.exit(f'self-check: {len(bad)} cases disagree with the documented rules, e.g. ids {bad[:10]}')
    text = render(cases)
    assert json.loads(text)['cases'] == json.loads(json.dumps(cases))  # well-formed, lossless
    if args.check:
        with open(args.out, encoding='utf-8') as f:
            if f.read() != text:
                print(f'{args.out} is out of date; run python3 scripts/gen_index_fixtures.py', file=sys.stderr)
                sys.exit(1)
        print('up to date')
        return
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, 'w', encoding='utf-8', newline='\n') as f:
        f.write(text)
    print(f'wrote {args.out}: {text.count(chr(10))} lines, {len(text)} bytes')


if __name__ == '__main__':
    main()
