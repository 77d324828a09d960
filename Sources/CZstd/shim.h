#ifndef RASTRO_CZSTD_SHIM_H
#define RASTRO_CZSTD_SHIM_H
// The zstd C API, exposed to Swift only through the RastroStore module.
#include <zstd.h>
#endif
