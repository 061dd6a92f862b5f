// CZstd: the parts of libzstd that Triplicate calls, made visible to Swift.
#ifndef TRIPLICATE_CZSTD_SHIM_H
#define TRIPLICATE_CZSTD_SHIM_H
#include <zstd.h>
#include <zstd_errors.h>

/// ZSTD_CONTENTSIZE_UNKNOWN / ZSTD_CONTENTSIZE_ERROR are macros over large constants; expose them as functions.
static inline unsigned long long tri_zstd_contentsize_unknown(void) { return ZSTD_CONTENTSIZE_UNKNOWN; }
static inline unsigned long long tri_zstd_contentsize_error(void) { return ZSTD_CONTENTSIZE_ERROR; }
#endif
