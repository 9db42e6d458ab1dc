/* emgkit/export.h: which functions the shared library exports.
 *
 * libemgkit.so is built with -fvisibility=hidden: only the functions of the
 * public headers, each marked EMGKIT_API, are in its dynamic symbol table;
 * the library's own helpers (prefix emgi_, or a module prefix such as lab_)
 * stay inside it.  For programs that use the library the macro only restates
 * the default visibility. */
#ifndef EMGKIT_EXPORT_H
#define EMGKIT_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define EMGKIT_API __attribute__((visibility("default")))
#else
#define EMGKIT_API
#endif

#endif
