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

/// syncfs(2): flushes the whole file system holding `fd`.
static inline int triplicate_syncfs(int fd) { return syncfs(fd); }
#endif
