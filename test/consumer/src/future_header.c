/* A second, tiny check: this file sees memview.h as if it were version 2.0 (a consumer built
 * against a future, incompatible memview), so mv_import must refuse today's library. */
#define MV_API_VERSION_OVERRIDE ((2u << 16) | 0u)
#include "consumer.h"

const mv_api *consumer_import_as_v2(napi_env env, napi_value memview_exports) {
  return mv_import(env, memview_exports);
}
