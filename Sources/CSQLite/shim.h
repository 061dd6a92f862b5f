// CSQLite: libsqlite3: the consistent copy of a database a backup takes while a program has it open (Lightroom's
// catalog), and the photo-set generator's Lightroom-like catalog.
#ifndef TRIPLICATE_CSQLITE_SHIM_H
#define TRIPLICATE_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro over a function-pointer cast that Swift cannot import.
static inline sqlite3_destructor_type tri_sqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif
