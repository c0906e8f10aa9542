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
static inline unsigned int sb_ae_ifmt(void) { return AE_IFMT; }
static inline unsigned int sb_ae_ifchr(void) { return AE_IFCHR; }
static inline unsigned int sb_ae_ifblk(void) { return AE_IFBLK; }
static inline unsigned int sb_ae_ififo(void) { return AE_IFIFO; }
static inline unsigned int sb_ae_ifsock(void) { return AE_IFSOCK; }

/* archive_write_disk options for untrusted archives: never through a symlink, never a
   '..' component, exact permission bits (normalised by the caller), the archive's mtimes;
   no owners, ACLs, xattrs or file flags. Paths handed to the writer are absolute (inside
   the extraction root), so SECURE_NOABSOLUTEPATHS is enforced by the caller's own check. */
static inline int sb_extract_secure_flags(void) {
    return ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT
         | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME;
}
#endif
