// CTriplicateSystem: the few Linux calls that Swift's Glibc module leaves out because they need _GNU_SOURCE.
#ifndef TRIPLICATE_CSYSTEM_SHIM_H
#define TRIPLICATE_CSYSTEM_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <unistd.h>
#include <sys/vfs.h>

// The extended-attribute calls, declared here as glibc declares them in <sys/xattr.h>: that header pulls in
// <sys/select.h>, whose fd_set under _GNU_SOURCE does not match the one Swift's Glibc module holds, and a fresh build
// then fails on the two definitions.
extern ssize_t flistxattr(int fd, char *list, size_t size);
extern ssize_t llistxattr(const char *path, char *list, size_t size);
extern ssize_t fgetxattr(int fd, const char *name, void *value, size_t size);
extern ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size);
extern int fsetxattr(int fd, const char *name, const void *value, size_t size, int flags);

/// The file system type (statfs's f_type) of the one holding `fd`, or 0 when it cannot be told.
static inline unsigned long triplicate_fs_type(int fd) {
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0) return 0;
    return (unsigned long)fs.f_type;
}

/// lseek(2) with SEEK_DATA: the offset of the first byte of data at or after `offset`, or -1 (errno ENXIO: only a
/// hole from there to the end).
static inline long long triplicate_seek_data(int fd, long long offset) { return (long long)lseek(fd, (off_t)offset, SEEK_DATA); }

/// lseek(2) with SEEK_HOLE: the offset of the first hole at or after `offset` (the end of the file counts as one).
static inline long long triplicate_seek_hole(int fd, long long offset) { return (long long)lseek(fd, (off_t)offset, SEEK_HOLE); }

/// syncfs(2): flushes the whole file system holding `fd`.
static inline int triplicate_syncfs(int fd) { return syncfs(fd); }

/// flistxattr(2) / llistxattr(2): the names of the extended attributes of an open file, or of `path` itself (a link is
/// not followed), NUL-separated; with `size` 0, the size the list needs.
static inline long triplicate_flistxattr(int fd, char *list, unsigned long size) { return (long)flistxattr(fd, list, size); }
static inline long triplicate_llistxattr(const char *path, char *list, unsigned long size) { return (long)llistxattr(path, list, size); }

/// fgetxattr(2) / lgetxattr(2): the value of one attribute; with `size` 0, its size.
static inline long triplicate_fgetxattr(int fd, const char *name, void *value, unsigned long size) { return (long)fgetxattr(fd, name, value, size); }
static inline long triplicate_lgetxattr(const char *path, const char *name, void *value, unsigned long size) { return (long)lgetxattr(path, name, value, size); }

/// fsetxattr(2): sets one attribute of an open file or folder, creating or replacing it.
static inline int triplicate_fsetxattr(int fd, const char *name, const void *value, unsigned long size) { return fsetxattr(fd, name, value, size, 0); }
#endif
