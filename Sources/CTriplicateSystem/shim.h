// CTriplicateSystem: the few Linux calls that Swift's Glibc module leaves out because they need _GNU_SOURCE.
#ifndef TRIPLICATE_CSYSTEM_SHIM_H
#define TRIPLICATE_CSYSTEM_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <unistd.h>
#include <sys/vfs.h>

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
#endif
