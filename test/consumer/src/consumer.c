/* An outside addon using memview's C ABI (memview.h), in plain C99 and Node-API, as a user's
 * project would: it imports the table from require('memview'), walks any buffer generically
 * (shape, strides, suboffsets, format), writes through it, holds buffers across calls, and
 * hands its own malloc'd memory to JS as views freed through a callback. */
#include <stdlib.h>
#include <string.h>

#include "consumer.h"

static const mv_api *g_api = NULL;
static double *g_last_doubles = NULL; /* data of the last double view made by makeView('c') */

#define MAX_SLOTS 32
static mv_buffer g_slots[MAX_SLOTS];
static int g_used[MAX_SLOTS];

/* ---- Node-API helpers ------------------------------------------------------------------------ */

#define CHECK(call)                                                             \
  do {                                                                          \
    if ((call) != napi_ok) return fail(env, "Node-API call failed: " #call);   \
  } while (0)

static napi_value fail(napi_env env, const char *message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "ERR_CONSUMER", message);
  return NULL;
}

static int args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  size_t i;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  for (i = argc; i < want; i++) napi_get_undefined(env, &argv[i]);
  return 1;
}

static int get_int(napi_env env, napi_value v, int fallback) {
  int32_t x;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return fallback;
  napi_get_value_int32(env, v, &x);
  return (int)x;
}

static const mv_api *api_or_throw(napi_env env) {
  if (g_api == NULL) napi_throw_error(env, "ERR_CONSUMER", "call init(require('memview')) first");
  return g_api;
}

/* ---- import ---------------------------------------------------------------------------------- */

/* init(memview) -> { version, size }: imports the table once (it is process-wide). */
static napi_value Init(napi_env env, napi_callback_info info) {
  napi_value argv[1], out, x;
  const mv_api *api;
  if (!args(env, info, 1, argv)) return fail(env, "bad arguments");
  api = mv_import(env, argv[0]);
  if (api == NULL) return NULL; /* JS error pending */
  g_api = api;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_uint32(env, api->version, &x));
  CHECK(napi_set_named_property(env, out, "version", x));
  CHECK(napi_create_uint32(env, api->size, &x));
  CHECK(napi_set_named_property(env, out, "size", x));
  return out;
}

/* importFrom(obj) -> true, or throws what mv_import left pending. */
static napi_value ImportFrom(napi_env env, napi_callback_info info) {
  napi_value argv[1], r;
  if (!args(env, info, 1, argv)) return fail(env, "bad arguments");
  if (mv_import(env, argv[0]) == NULL) return NULL;
  CHECK(napi_get_boolean(env, true, &r));
  return r;
}

/* importAsV2(obj): mv_import from a header that claims to be version 2.0. */
static napi_value ImportAsV2(napi_env env, napi_callback_info info) {
  napi_value argv[1], r;
  if (!args(env, info, 1, argv)) return fail(env, "bad arguments");
  if (consumer_import_as_v2(env, argv[0]) == NULL) return NULL;
  CHECK(napi_get_boolean(env, true, &r));
  return r;
}

static void free_table(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* fakeExports(major, minor) -> { _C_API }: a table of another version (no functions), tagged
 * as memview's, to show what mv_import says about it. */
static napi_value FakeExports(napi_env env, napi_callback_info info) {
  napi_value argv[2], out, ext;
  napi_type_tag tag;
  mv_api *fake;
  if (!args(env, info, 2, argv)) return fail(env, "bad arguments");
  fake = (mv_api *)calloc(1, sizeof(mv_api));
  if (fake == NULL) return fail(env, "out of memory");
  fake->version = ((uint32_t)get_int(env, argv[0], 0) << 16) | (uint32_t)get_int(env, argv[1], 0);
  fake->size = (uint32_t)sizeof(mv_api);
  tag.lower = MV_API_TAG_LOWER;
  tag.upper = MV_API_TAG_UPPER;
  CHECK(napi_create_external(env, fake, free_table, NULL, &ext));
  CHECK(napi_type_tag_object(env, ext, &tag));
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, MV_API_PROPERTY, ext));
  return out;
}

/* ---- the generic walk -------------------------------------------------------------------------- */

/* Element kinds this consumer understands: one native-order scalar code. */
typedef struct {
  char kind; /* 'i' signed, 'u' unsigned, 'f' floating */
  int64_t size;
} elem_t;

typedef struct {
  elem_t e;
  int write;       /* scale instead of sum */
  int64_t ifactor; /* scale factor for integers */
  double ffactor;  /* and for floats */
  int64_t isum;
  uint64_t usum;
  double fsum;
  int64_t count;
} acc_t;

static int classify(const mv_buffer *b, elem_t *e) {
  const char *f = b->format != NULL ? b->format : "B"; /* NULL means unsigned bytes */
  if (*f == '@' || *f == '=' || *f == '<') f++;         /* this test runs on little-endian hosts */
  if (f[0] == '\0' || f[1] != '\0') return 0;
  switch (f[0]) {
    case 'b': case 'h': case 'i': case 'l': case 'q': case 'n': e->kind = 'i'; break;
    case 'B': case 'H': case 'I': case 'L': case 'Q': case 'N': case '?': case 'c': e->kind = 'u'; break;
    case 'f': case 'd': e->kind = 'f'; break;
    default: return 0;
  }
  e->size = b->itemsize;
  if (e->kind == 'f') return e->size == 4 || e->size == 8;
  return e->size == 1 || e->size == 2 || e->size == 4 || e->size == 8;
}

static void visit(acc_t *a, char *p) {
  a->count++;
  if (a->e.kind == 'f') {
    double x;
    if (a->e.size == 4) {
      float f;
      memcpy(&f, p, 4);
      x = f;
      if (a->write) {
        f = (float)(x * a->ffactor);
        memcpy(p, &f, 4);
      }
    } else {
      memcpy(&x, p, 8);
      if (a->write) {
        double y = x * a->ffactor;
        memcpy(p, &y, 8);
      }
    }
    a->fsum += x;
    return;
  }
  if (a->e.kind == 'i') {
    int64_t x = 0;
    switch (a->e.size) {
      case 1: { int8_t v; memcpy(&v, p, 1); x = v; if (a->write) { v = (int8_t)(x * a->ifactor); memcpy(p, &v, 1); } break; }
      case 2: { int16_t v; memcpy(&v, p, 2); x = v; if (a->write) { v = (int16_t)(x * a->ifactor); memcpy(p, &v, 2); } break; }
      case 4: { int32_t v; memcpy(&v, p, 4); x = v; if (a->write) { v = (int32_t)(x * a->ifactor); memcpy(p, &v, 4); } break; }
      default: { int64_t v; memcpy(&v, p, 8); x = v; if (a->write) { v = (int64_t)((uint64_t)x * (uint64_t)a->ifactor); memcpy(p, &v, 8); } break; }
    }
    a->isum = (int64_t)((uint64_t)a->isum + (uint64_t)x);
    return;
  }
  {
    uint64_t x = 0;
    switch (a->e.size) {
      case 1: { uint8_t v; memcpy(&v, p, 1); x = v; if (a->write) { v = (uint8_t)(x * (uint64_t)a->ifactor); memcpy(p, &v, 1); } break; }
      case 2: { uint16_t v; memcpy(&v, p, 2); x = v; if (a->write) { v = (uint16_t)(x * (uint64_t)a->ifactor); memcpy(p, &v, 2); } break; }
      case 4: { uint32_t v; memcpy(&v, p, 4); x = v; if (a->write) { v = (uint32_t)(x * (uint64_t)a->ifactor); memcpy(p, &v, 4); } break; }
      default: { uint64_t v; memcpy(&v, p, 8); x = v; if (a->write) { v = x * (uint64_t)a->ifactor; memcpy(p, &v, 8); } break; }
    }
    a->usum += x;
  }
}

/* PEP 3118 addressing: p += i * strides[d]; at an indirect axis p = *(char **)p + suboffsets[d]. */
static void walk(const mv_buffer *b, acc_t *a, int d, int ndim, char *p, const int64_t *shape, const int64_t *strides) {
  int64_t i;
  if (d == ndim) {
    visit(a, p);
    return;
  }
  for (i = 0; i < shape[d]; i++) {
    char *q = p + i * strides[d];
    if (b->suboffsets != NULL && b->suboffsets[d] >= 0) {
      char *next;
      memcpy(&next, q, sizeof next);
      q = next + b->suboffsets[d];
    }
    walk(b, a, d + 1, ndim, q, shape, strides);
  }
}

/* Walks every element of b, whichever fields the request left NULL. */
static void walk_all(const mv_buffer *b, acc_t *a) {
  int64_t shape1[1], cstrides[MV_MAX_NDIM];
  const int64_t *shape = b->shape, *strides = b->strides;
  int ndim = b->ndim, d;
  if (shape == NULL) { /* no ND: one C-contiguous run of len bytes */
    shape1[0] = b->len / b->itemsize;
    shape = shape1;
    ndim = 1;
  }
  if (strides == NULL) { /* no STRIDES: C-contiguous */
    int64_t s = b->itemsize;
    for (d = ndim - 1; d >= 0; d--) {
      cstrides[d] = s;
      s *= shape[d];
    }
    strides = cstrides;
  }
  walk(b, a, 0, ndim, (char *)b->buf, shape, strides);
}

static napi_value result_of(napi_env env, const acc_t *a) {
  napi_value r;
  if (a->e.kind == 'f') CHECK(napi_create_double(env, a->fsum, &r));
  else if (a->e.kind == 'i') CHECK(napi_create_bigint_int64(env, a->isum, &r));
  else CHECK(napi_create_bigint_uint64(env, a->usum, &r));
  return r;
}

static napi_value unsupported(napi_env env, const mv_buffer *b) {
  napi_throw_type_error(env, "ERR_CONSUMER_FORMAT", b->format ? b->format : "(null)");
  return NULL;
}

/* ---- buffers in one call ------------------------------------------------------------------------- */

/* sum(value, flags = MV_BUF_FULL_RO) -> bigint (integers) or number (floats). */
static napi_value Sum(napi_env env, napi_callback_info info) {
  napi_value argv[2], r;
  mv_buffer b;
  acc_t a;
  const mv_api *api = api_or_throw(env);
  if (api == NULL || !args(env, info, 2, argv)) return NULL;
  if (api->get_buffer(env, argv[0], get_int(env, argv[1], MV_BUF_FULL_RO), &b) != 0) return NULL;
  memset(&a, 0, sizeof a);
  if (!classify(&b, &a.e)) {
    r = unsupported(env, &b);
  } else {
    walk_all(&b, &a);
    r = result_of(env, &a);
  }
  api->release_buffer(&b);
  api->release_buffer(&b); /* idempotent */
  return r;
}

/* scale(value, factor, flags = MV_BUF_FULL): multiplies every element in place. */
static napi_value Scale(napi_env env, napi_callback_info info) {
  napi_value argv[3], r = NULL;
  mv_buffer b;
  acc_t a;
  double factor;
  const mv_api *api = api_or_throw(env);
  if (api == NULL || !args(env, info, 3, argv)) return NULL;
  CHECK(napi_get_value_double(env, argv[1], &factor));
  if (api->get_buffer(env, argv[0], get_int(env, argv[2], MV_BUF_FULL), &b) != 0) return NULL;
  memset(&a, 0, sizeof a);
  a.write = 1;
  a.ffactor = factor;
  a.ifactor = (int64_t)factor;
  if (b.readonly) {
    napi_throw_error(env, "ERR_CONSUMER", "read-only buffer granted for a write");
  } else if (!classify(&b, &a.e)) {
    unsupported(env, &b);
  } else {
    walk_all(&b, &a);
    napi_get_undefined(env, &r);
  }
  api->release_buffer(&b);
  return r;
}

static napi_value axes(napi_env env, const int64_t *v, int n) {
  napi_value arr, x;
  int i;
  if (v == NULL) {
    CHECK(napi_get_null(env, &arr));
    return arr;
  }
  CHECK(napi_create_array_with_length(env, (size_t)n, &arr));
  for (i = 0; i < n; i++) {
    CHECK(napi_create_double(env, (double)v[i], &x));
    CHECK(napi_set_element(env, arr, (uint32_t)i, x));
  }
  return arr;
}

static napi_value describe_buffer(napi_env env, const mv_buffer *b) {
  napi_value out, x;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_double(env, (double)b->len, &x));
  CHECK(napi_set_named_property(env, out, "len", x));
  CHECK(napi_create_double(env, (double)b->itemsize, &x));
  CHECK(napi_set_named_property(env, out, "itemsize", x));
  CHECK(napi_get_boolean(env, b->readonly != 0, &x));
  CHECK(napi_set_named_property(env, out, "readonly", x));
  CHECK(napi_create_int32(env, b->ndim, &x));
  CHECK(napi_set_named_property(env, out, "ndim", x));
  if (b->format != NULL) CHECK(napi_create_string_utf8(env, b->format, NAPI_AUTO_LENGTH, &x));
  else CHECK(napi_get_null(env, &x));
  CHECK(napi_set_named_property(env, out, "format", x));
  CHECK(napi_set_named_property(env, out, "shape", axes(env, b->shape, b->ndim)));
  CHECK(napi_set_named_property(env, out, "strides", axes(env, b->strides, b->ndim)));
  CHECK(napi_set_named_property(env, out, "suboffsets", axes(env, b->suboffsets, b->ndim)));
  return out;
}

/* describe(value, flags) -> the mv_buffer's fields (null where the request left them NULL). */
static napi_value Describe(napi_env env, napi_callback_info info) {
  napi_value argv[2], r;
  mv_buffer b;
  const mv_api *api = api_or_throw(env);
  if (api == NULL || !args(env, info, 2, argv)) return NULL;
  if (api->get_buffer(env, argv[0], get_int(env, argv[1], MV_BUF_FULL_RO), &b) != 0) return NULL;
  r = describe_buffer(env, &b);
  api->release_buffer(&b);
  return r;
}

/* ---- buffers held across calls -------------------------------------------------------------------- */

static int slot_of(napi_env env, napi_value v) {
  int s = get_int(env, v, -1);
  if (s < 0 || s >= MAX_SLOTS || !g_used[s]) {
    napi_throw_range_error(env, "ERR_CONSUMER_SLOT", "no buffer held in this slot");
    return -1;
  }
  return s;
}

/* hold(value, flags = MV_BUF_FULL_RO) -> slot: keeps the buffer until release(slot). */
static napi_value Hold(napi_env env, napi_callback_info info) {
  napi_value argv[2], r;
  int s;
  const mv_api *api = api_or_throw(env);
  if (api == NULL || !args(env, info, 2, argv)) return NULL;
  for (s = 0; s < MAX_SLOTS && g_used[s]; s++) {
  }
  if (s == MAX_SLOTS) return fail(env, "no free slot");
  if (api->get_buffer(env, argv[0], get_int(env, argv[1], MV_BUF_FULL_RO), &g_slots[s]) != 0) return NULL;
  g_used[s] = 1;
  CHECK(napi_create_int32(env, s, &r));
  return r;
}

/* heldSum(slot): sums a held buffer (its memory must still be there). */
static napi_value HeldSum(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  acc_t a;
  int s;
  if (!args(env, info, 1, argv) || (s = slot_of(env, argv[0])) < 0) return NULL;
  memset(&a, 0, sizeof a);
  if (!classify(&g_slots[s], &a.e)) return unsupported(env, &g_slots[s]);
  walk_all(&g_slots[s], &a);
  return result_of(env, &a);
}

static napi_value HeldInfo(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int s;
  if (!args(env, info, 1, argv) || (s = slot_of(env, argv[0])) < 0) return NULL;
  return describe_buffer(env, &g_slots[s]);
}

/* release(slot, onThread = false): ends a held buffer, here or from another thread. Releasing
 * twice is harmless (the second call sees a zeroed buffer). */
static napi_value Release(napi_env env, napi_callback_info info) {
  napi_value argv[2], r;
  bool on_thread = false;
  int s;
  if (!args(env, info, 2, argv) || (s = slot_of(env, argv[0])) < 0) return NULL;
  napi_get_value_bool(env, argv[1], &on_thread);
  if (on_thread) consumer_release_on_thread(g_api, &g_slots[s]);
  else g_api->release_buffer(&g_slots[s]);
  g_api->release_buffer(&g_slots[s]);
  CHECK(napi_get_boolean(env, g_slots[s].internal == NULL && g_slots[s].buf == NULL, &r));
  g_used[s] = 0;
  return r;
}

/* ---- memory handed to JS ------------------------------------------------------------------------- */

/* makeView(kind, n) -> a MemoryView over memory malloc'd here, freed by consumer_free.
 *   'c'         double[n] = 0..n-1, strides NULL (C order)
 *   'reversed'  double[n] = 0..n-1 seen backwards: data points at the last element, stride -8
 *   'strided'   every other double of 2n: values 0..n-1, stride 16
 *   'fortran'   int32 (n, 3), Fortran order, [i, j] = i + 100 j
 *   'readonly'  double[n] = 0..n-1, read-only
 *   'scalar'    a 0-d double 42
 *   'borrowed'  a static double[4] = 1..4, free_fn NULL (never freed)
 *   'bad-format', 'bad-ndim', 'bad-shape', 'overflow', 'null-data': refused; the memory stays ours
 *   (freed here, not through consumer_free). */
static napi_value MakeView(napi_env env, napi_callback_info info) {
  static double borrowed[4] = {1, 2, 3, 4};
  napi_value argv[2], view;
  char kind[16];
  size_t klen = 0;
  int n, i, ndim = 1, ro = 0;
  int64_t shape[MV_MAX_NDIM + 1], strides[MV_MAX_NDIM + 1];
  const int64_t *st = NULL;
  const char *format = "d";
  void *block = NULL, *data;
  consumer_block *ctx;
  const mv_api *api = api_or_throw(env);
  if (api == NULL || !args(env, info, 2, argv)) return NULL;
  CHECK(napi_get_value_string_utf8(env, argv[0], kind, sizeof kind, &klen));
  n = get_int(env, argv[1], 4);
  shape[0] = n;
  if (strcmp(kind, "borrowed") == 0) {
    shape[0] = 4;
    if (api->new_view(env, borrowed, 1, shape, NULL, "d", 0, NULL, NULL, &view) != 0) return NULL;
    return view;
  }
  if (strcmp(kind, "fortran") == 0) {
    int32_t *p = (int32_t *)malloc((size_t)n * 3 * sizeof(int32_t));
    int j;
    for (i = 0; i < n; i++)
      for (j = 0; j < 3; j++) p[i + n * j] = i + 100 * j;
    block = data = p;
    ndim = 2;
    shape[1] = 3;
    strides[0] = 4;
    strides[1] = 4 * (int64_t)n;
    st = strides;
    format = "i";
  } else if (strcmp(kind, "strided") == 0) {
    double *p = (double *)malloc((size_t)(2 * n) * sizeof(double));
    for (i = 0; i < 2 * n; i++) p[i] = (i % 2 == 0) ? i / 2 : -1000;
    block = data = p;
    strides[0] = 16;
    st = strides;
  } else if (strcmp(kind, "scalar") == 0) {
    double *p = (double *)malloc(sizeof(double));
    *p = 42;
    block = data = p;
    ndim = 0;
  } else {
    double *p = (double *)malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    for (i = 0; i < n; i++) p[i] = i;
    block = data = p;
    if (strcmp(kind, "reversed") == 0) {
      data = p + (n - 1);
      strides[0] = -8;
      st = strides;
    } else if (strcmp(kind, "readonly") == 0) {
      ro = 1;
    } else if (strcmp(kind, "bad-format") == 0) {
      format = "T{i:x";
    } else if (strcmp(kind, "bad-ndim") == 0) {
      ndim = MV_MAX_NDIM + 1;
      for (i = 0; i < ndim; i++) shape[i] = 1;
    } else if (strcmp(kind, "bad-shape") == 0) {
      shape[0] = -1;
    } else if (strcmp(kind, "overflow") == 0) {
      ndim = 2;
      shape[0] = shape[1] = (int64_t)1 << 40;
    } else if (strcmp(kind, "null-data") == 0) {
      data = NULL;
    } else if (strcmp(kind, "c") != 0) {
      free(block);
      return fail(env, "unknown kind");
    }
  }
  ctx = (consumer_block *)malloc(sizeof *ctx);
  ctx->block = block;
  ctx->expected = data;
  if (api->new_view(env, data, ndim, shape, st, format, ro, consumer_free, ctx, &view) != 0) {
    free(block); /* refused: nothing was taken */
    free(ctx);
    return NULL;
  }
  if (strcmp(kind, "c") == 0) g_last_doubles = (double *)data;
  return view;
}

/* peek(i) / poke(i, x): element i of the last makeView('c') block, through this addon's own
 * pointer (the test keeps that view alive while it does this). */
static napi_value Peek(napi_env env, napi_callback_info info) {
  napi_value argv[1], r;
  if (!args(env, info, 1, argv) || g_last_doubles == NULL) return fail(env, "no block");
  CHECK(napi_create_double(env, g_last_doubles[get_int(env, argv[0], 0)], &r));
  return r;
}

static napi_value Poke(napi_env env, napi_callback_info info) {
  napi_value argv[2], r;
  double x;
  if (!args(env, info, 2, argv) || g_last_doubles == NULL) return fail(env, "no block");
  CHECK(napi_get_value_double(env, argv[1], &x));
  g_last_doubles[get_int(env, argv[0], 0)] = x;
  napi_get_undefined(env, &r);
  return r;
}

/* frees() -> { count, mismatches } of consumer_free calls. */
static napi_value Frees(napi_env env, napi_callback_info info) {
  napi_value out, x;
  (void)info;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_double(env, (double)consumer_free_count(), &x));
  CHECK(napi_set_named_property(env, out, "count", x));
  CHECK(napi_create_double(env, (double)consumer_free_mismatches(), &x));
  CHECK(napi_set_named_property(env, out, "mismatches", x));
  return out;
}

/* ---- module ------------------------------------------------------------------------------------ */

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"init", NULL, Init, NULL, NULL, NULL, napi_default, NULL},
      {"importFrom", NULL, ImportFrom, NULL, NULL, NULL, napi_default, NULL},
      {"importAsV2", NULL, ImportAsV2, NULL, NULL, NULL, napi_default, NULL},
      {"fakeExports", NULL, FakeExports, NULL, NULL, NULL, napi_default, NULL},
      {"sum", NULL, Sum, NULL, NULL, NULL, napi_default, NULL},
      {"scale", NULL, Scale, NULL, NULL, NULL, napi_default, NULL},
      {"describe", NULL, Describe, NULL, NULL, NULL, napi_default, NULL},
      {"hold", NULL, Hold, NULL, NULL, NULL, napi_default, NULL},
      {"heldSum", NULL, HeldSum, NULL, NULL, NULL, napi_default, NULL},
      {"heldInfo", NULL, HeldInfo, NULL, NULL, NULL, napi_default, NULL},
      {"release", NULL, Release, NULL, NULL, NULL, napi_default, NULL},
      {"makeView", NULL, MakeView, NULL, NULL, NULL, napi_default, NULL},
      {"frees", NULL, Frees, NULL, NULL, NULL, napi_default, NULL},
      {"peek", NULL, Peek, NULL, NULL, NULL, napi_default, NULL},
      {"poke", NULL, Poke, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
