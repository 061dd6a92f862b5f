// CBlake2: libb2's BLAKE2b, made visible to Swift.
#ifndef TRIPLICATE_CBLAKE2_SHIM_H
#define TRIPLICATE_CBLAKE2_SHIM_H
#include <blake2.h>
#endif
