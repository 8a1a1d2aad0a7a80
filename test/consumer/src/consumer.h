/* Shared between the consumer's C99 and C++11 sources. */
#ifndef CONSUMER_H
#define CONSUMER_H

#include <memview.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a view made with new_view is freed with: `block` is what malloc returned, `expected`
 * the data pointer given to new_view (free_fn must receive exactly that). */
typedef struct consumer_block {
  void *block;
  void *expected;
} consumer_block;

/* The free function handed to new_view: frees the block, counts the call (atomically: it may
 * run on any thread), and counts a mismatch if `data` is not the pointer new_view was given. */
void consumer_free(void *data, void *ctx);
long long consumer_free_count(void);
long long consumer_free_mismatches(void);

/* Releases *b from a freshly started thread (and joins it). */
void consumer_release_on_thread(const mv_api *api, mv_buffer *b);

/* mv_import compiled against a header that claims version 2.0 (future_header.c). */
const mv_api *consumer_import_as_v2(napi_env env, napi_value memview_exports);

#ifdef __cplusplus
}
#endif

#endif
