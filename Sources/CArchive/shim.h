#ifndef SITEBUILD_CARCHIVE_SHIM_H
#define SITEBUILD_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

/* File-type and mode constants are macros that Swift imports poorly; these keep them typed. */
static inline unsigned int sb_ae_ifreg(void) { return AE_IFREG; }
static inline unsigned int sb_ae_iflnk(void) { return AE_IFLNK; }
static inline unsigned int sb_ae_ifdir(void) { return AE_IFDIR; }
static inline int sb_archive_ok(void) { return ARCHIVE_OK; }
static inline int sb_archive_eof(void) { return ARCHIVE_EOF; }
static inline int sb_archive_warn(void) { return ARCHIVE_WARN; }
#endif
