/*
 * memview.h: memview's C ABI for other Node-API addons. Header-only for consumers; C99 and C++11.
 *
 * Another addon fetches memview's function table from the module's exports (the pattern of
 * NumPy's C-API capsule), asks for a PEP 3118 buffer over any JS value memview accepts, reads
 * and writes it natively, and releases it. It can also hand memory it allocated to JS as a
 * MemoryView that frees it through a callback. (DESIGN.md section 5.)
 *
 *     #include <memview.h>                      include dir: require('memview').include
 *
 *     static const mv_api *api;                 the table is process-wide and immutable
 *     napi_value Init(napi_env env, napi_value memview_exports) {   called with require('memview')
 *       api = mv_import(env, memview_exports);  NULL, with a JS error pending, on a mismatch
 *       ...
 *     }
 *     napi_value Sum(napi_env env, napi_callback_info info) {
 *       mv_buffer b;
 *       if (api->get_buffer(env, argv[0], MV_BUF_FULL_RO, &b) != 0) return NULL;  JS error pending
 *       ... read b.buf through b.shape, b.strides, b.suboffsets ...
 *       api->release_buffer(&b);
 *     }
 *
 * Build: only Node-API's headers are needed (node_api.h: node-gyp's node headers or cmake-js's
 * node-api-headers), with NAPI_VERSION >= 8; nothing to link: calls go through the table.
 *
 * THREADS. get_buffer and new_view are Node-API calls: call them on the JS thread of `env`
 * (the main thread or the worker the call comes from), with memview loaded there. A buffer's
 * memory may be read and written from any thread while it is held. release_buffer may be called
 * from any thread: on the JS thread it ends the export at once; on another thread it is queued
 * to that JS thread (the memory stays pinned until then).
 *
 * WHAT A BUFFER PINS, until release_buffer:
 *   - memview memory (array(), copies, fromPointer, new_view): the native owner. Nothing JS does
 *     (release(), CyArray.free(), garbage collection) frees it while the buffer is held.
 *   - JS memory (ArrayBuffer, SharedArrayBuffer, TypedArray, Buffer, DataView): a strong
 *     reference, so it is never garbage collected while held. BUT a plain ArrayBuffer can still be
 *     DETACHED by JS (structuredClone / postMessage with transfer, ArrayBuffer.prototype.transfer
 *     where the runtime has it) or shrunk (resizable buffers); memview cannot prevent that. After
 *     a detach, b.buf points at memory V8 may have freed. Either release the buffer before
 *     returning to JS (the safe pattern: get, use, release within one native call), or accept
 *     that JS code you do not control must not transfer the buffer while you hold it. Memory
 *     that cannot be detached: memview memory and SharedArrayBuffers.
 *   - rows of TypedArrays (an indirect view): the rows array and every row, with the caveat above
 *     for each row's ArrayBuffer.
 *   - the export: the MemoryView the buffer describes counts it, so its release() throws
 *     ERR_MEMVIEW_EXPORTED while the buffer is held; an exporter's [RELEASE_BUFFER] runs at
 *     release_buffer (as for JS getBuffer()).
 */
#ifndef MEMVIEW_H
#define MEMVIEW_H

#include <stddef.h>
#include <stdint.h>

#include <node_api.h>

#if !defined(NAPI_VERSION) || NAPI_VERSION < 8
#error "memview.h needs Node-API version 8 or later (define NAPI_VERSION=8 or higher)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- version ------------------------------------------------------------------------------ */

/* The major version changes when the ABI breaks (a field or function changes); the minor when
 * functions are appended to mv_api. mv_import accepts a library of the same major and a minor at
 * least the header's. */
#define MV_API_VERSION_MAJOR 1
#define MV_API_VERSION_MINOR 0
#ifdef MV_API_VERSION_OVERRIDE
/* Testing only: pretend this header is another version, to exercise mv_import's check. */
#define MV_API_VERSION ((uint32_t)(MV_API_VERSION_OVERRIDE))
#else
#define MV_API_VERSION (((uint32_t)MV_API_VERSION_MAJOR << 16) | (uint32_t)MV_API_VERSION_MINOR)
#endif

/* ---- request flags: CPython's PyBUF_* values (Include/pybuffer.h) --------------------------- */
/* A request is met when every bit it sets is honoured, tested as (flags & F) == F. Refusals are
 * the same as JS getBuffer()'s (BufferError, code ERR_MEMVIEW_FLAGS, CPython's memoryview texts). */

#define MV_BUF_SIMPLE 0
#define MV_BUF_WRITABLE 0x0001
#define MV_BUF_FORMAT 0x0004
#define MV_BUF_ND 0x0008
#define MV_BUF_STRIDES (0x0010 | MV_BUF_ND)
#define MV_BUF_C_CONTIGUOUS (0x0020 | MV_BUF_STRIDES)
#define MV_BUF_F_CONTIGUOUS (0x0040 | MV_BUF_STRIDES)
#define MV_BUF_ANY_CONTIGUOUS (0x0080 | MV_BUF_STRIDES)
#define MV_BUF_INDIRECT (0x0100 | MV_BUF_STRIDES)
#define MV_BUF_CONTIG (MV_BUF_ND | MV_BUF_WRITABLE)
#define MV_BUF_CONTIG_RO (MV_BUF_ND)
#define MV_BUF_STRIDED (MV_BUF_STRIDES | MV_BUF_WRITABLE)
#define MV_BUF_STRIDED_RO (MV_BUF_STRIDES)
#define MV_BUF_RECORDS (MV_BUF_STRIDES | MV_BUF_WRITABLE | MV_BUF_FORMAT)
#define MV_BUF_RECORDS_RO (MV_BUF_STRIDES | MV_BUF_FORMAT)
#define MV_BUF_FULL (MV_BUF_INDIRECT | MV_BUF_WRITABLE | MV_BUF_FORMAT)
#define MV_BUF_FULL_RO (MV_BUF_INDIRECT | MV_BUF_FORMAT)

/* CPython's PyBUF_MAX_NDIM. */
#define MV_MAX_NDIM 64

/* ---- the buffer: PEP 3118's Py_buffer / Cython's memviewslice ------------------------------ */

/* Fields the request did not ask for are NULL, as PEP 3118 says:
 *   format      NULL without MV_BUF_FORMAT (meaning unsigned bytes "B"; itemsize is still the
 *               element size, so len == product(shape) * itemsize holds)
 *   shape       NULL without MV_BUF_ND (ndim is then reported as 1: one run of len bytes)
 *   strides     NULL without MV_BUF_STRIDES (the memory is then C-contiguous)
 *   suboffsets  NULL unless MV_BUF_INDIRECT was asked AND some axis is indirect
 * Element [i0, i1, ...]: p = buf; for each axis d: p += i_d * strides[d]; and when suboffsets
 * and suboffsets[d] >= 0: p = *(char **)p + suboffsets[d]. Strides may be negative or zero.
 * A 0-d buffer with MV_BUF_ND has ndim 0 and a non-NULL (empty) shape.
 * The arrays and the format string belong to the buffer and stay valid until release_buffer. */
typedef struct mv_buffer {
  void *buf;             /* element [0, ..., 0] (before any suboffset is applied) */
  int64_t len;           /* bytes: product(shape) * itemsize */
  int64_t itemsize;      /* bytes per element */
  int readonly;          /* 1: the memory must not be written */
  int ndim;              /* 0..MV_MAX_NDIM (1 when shape is NULL) */
  const char *format;    /* PEP 3118 struct format ("d", "<i", "T{...}"), or NULL */
  int64_t *shape;        /* ndim extents, or NULL */
  int64_t *strides;      /* ndim byte steps, or NULL */
  int64_t *suboffsets;   /* ndim entries (< 0: direct axis), or NULL */
  void *internal;        /* memview's pin; NULL when empty or released. Do not touch. */
} mv_buffer;

/* Frees memory handed to JS with new_view: called exactly once, with the data pointer given to
 * new_view and free_ctx, after the last view of it (in any thread) is gone. It may run on ANY
 * thread (a worker that held a view last, the thread pool), never re-entrantly from JS: it must
 * not call Node-API. */
typedef void (*mv_free_fn)(void *data, void *ctx);

/* ---- the function table ------------------------------------------------------------------- */

typedef struct mv_api {
  /* (major << 16) | minor of the library; mv_import checks it against MV_API_VERSION. */
  uint32_t version;
  /* sizeof(mv_api) in the library: later minor versions only append members. */
  uint32_t size;

  /* A buffer over `value`: anything memview's view() and getBuffer() accept (MemoryView,
   * CyArray, ArrayBuffer, SharedArrayBuffer, TypedArray, Buffer, DataView, an array of
   * TypedArrays (rows: an indirect first axis), or an exporter object), negotiated for `flags`
   * (MV_BUF_*) exactly as JS getBuffer(value, flags). Returns 0 and fills *out, which pins the
   * memory and counts an export until release_buffer(out). On failure returns non-zero with a
   * JS exception pending in `env` (the error getBuffer() would throw: BufferError with code
   * ERR_MEMVIEW_FLAGS for a request the memory cannot meet, TypeError ERR_MEMVIEW_SOURCE for a
   * value that is not a buffer, ...) and *out zeroed (releasing it is a no-op).
   * JS thread only. */
  int (*get_buffer)(napi_env env, napi_value value, int flags, mv_buffer *out);

  /* Ends the buffer: the export count drops, an exporter's [RELEASE_BUFFER] runs, the memory is
   * unpinned, and *buf is zeroed. Idempotent (a zeroed or released buffer is ignored). Any
   * thread: off the JS thread the release is queued to the JS thread the buffer came from. */
  void (*release_buffer)(mv_buffer *buf);

  /* Hands memory the caller allocated to JS as a MemoryView in *result. `data` is element
   * [0, ..., 0]; `shape` has ndim extents (ndim 0..MV_MAX_NDIM); `strides` ndim byte steps, or
   * NULL for C order; `format` a PEP 3118 format (NULL: "B"); readonly non-zero makes a
   * read-only view. The format and the geometry are validated first; every byte the view can
   * reach must belong to the caller's block. On success memview owns the memory: free_fn(data,
   * free_ctx) runs exactly once after the last view of it is gone (free_fn NULL: the memory is
   * borrowed and never freed; the caller keeps it valid for as long as JS may use it). On
   * failure returns non-zero with a JS exception pending, and nothing was taken: the caller
   * still owns (and frees) the memory. One exception: when JS code interfered while the view was
   * being made (it can run there, e.g. a getter someone put on Object.prototype) and kept a hold
   * on the memory, memview keeps it: new_view returns 0 with the exception pending and *result
   * undefined, and free_fn still runs exactly once, later. So free the memory only on non-zero.
   * JS thread only. */
  int (*new_view)(napi_env env, void *data, int ndim, const int64_t *shape, const int64_t *strides,
                  const char *format, int readonly, mv_free_fn free_fn, void *free_ctx,
                  napi_value *result);
} mv_api;

/* ---- import -------------------------------------------------------------------------------- */

/* memview's exports carry the table as `_C_API`: an External, type-tagged with this tag, whose
 * data is the `const mv_api *`. */
#define MV_API_PROPERTY "_C_API"
#define MV_API_TAG_LOWER 0x6d656d7669657721ULL /* "memview!" */
#define MV_API_TAG_UPPER 0x435f4150495f7631ULL /* "C_API_v1" */

/* Writes "major.minor" of a version into out (at least 12 bytes), returns the end. */
static inline char *mv__version_text(char *out, uint32_t version) {
  uint32_t parts[2];
  int k;
  parts[0] = version >> 16;
  parts[1] = version & 0xffffu;
  for (k = 0; k < 2; k++) {
    char digits[6];
    int n = 0;
    uint32_t x = parts[k];
    do {
      digits[n++] = (char)('0' + x % 10u);
      x /= 10u;
    } while (x != 0 && n < 5);
    while (n > 0) *out++ = digits[--n];
    if (k == 0) *out++ = '.';
  }
  *out = '\0';
  return out;
}

/* The table from memview's exports (require('memview'), or memview's native module), after
 * checking its version: same major as this header and a minor at least this header's. Returns
 * NULL with a JS exception pending otherwise: an Error with code ERR_MEMVIEW_VERSION, "memview C
 * API version mismatch: header X, library Y", or a TypeError ERR_MEMVIEW_C_API when the object
 * is not memview's exports. The table is immutable and process-wide: keep the pointer. */
static inline const mv_api *mv_import(napi_env env, napi_value memview_exports) {
  napi_valuetype type;
  napi_value table;
  napi_type_tag tag;
  bool tagged = false;
  void *data = NULL;
  const mv_api *api;
  char message[96];
  const char *prefix = "memview C API version mismatch: header ";
  char *p = message;
  uint32_t want = MV_API_VERSION, have;

  tag.lower = MV_API_TAG_LOWER;
  tag.upper = MV_API_TAG_UPPER;
  if (napi_typeof(env, memview_exports, &type) != napi_ok) return NULL;
  if (type != napi_object && type != napi_function) goto not_memview;
  if (napi_get_named_property(env, memview_exports, MV_API_PROPERTY, &table) != napi_ok)
    return NULL; /* a getter threw: its exception is pending */
  if (napi_typeof(env, table, &type) != napi_ok || type != napi_external) goto not_memview;
  if (napi_check_object_type_tag(env, table, &tag, &tagged) != napi_ok || !tagged) goto not_memview;
  if (napi_get_value_external(env, table, &data) != napi_ok || data == NULL) goto not_memview;
  api = (const mv_api *)data;
  have = api->version;
  if ((have >> 16) == (want >> 16) && (have & 0xffffu) >= (want & 0xffffu) && api->size >= sizeof(mv_api))
    return api;
  while (*prefix) *p++ = *prefix++;
  p = mv__version_text(p, want);
  prefix = ", library ";
  while (*prefix) *p++ = *prefix++;
  mv__version_text(p, have);
  napi_throw_error(env, "ERR_MEMVIEW_VERSION", message);
  return NULL;

not_memview:
  napi_throw_type_error(env, "ERR_MEMVIEW_C_API",
                        "mv_import: not memview's exports (pass require('memview'), whose "
                        "_C_API property holds the C API table)");
  return NULL;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MEMVIEW_H */
