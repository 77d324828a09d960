#ifndef RASTRO_CLMDB_SHIM_H
#define RASTRO_CLMDB_SHIM_H
// The LMDB C API, exposed to Swift only through the RastroStore module.
#include <lmdb.h>
#endif
