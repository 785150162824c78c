// st_mode file-type bits (sys/stat.h): the RPM reader, the layer entries and the tar
// writer all speak them.

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

export const fileType = (mode: number): number => mode & S_IFMT;
export const isDir = (mode: number): boolean => (mode & S_IFMT) === S_IFDIR;
export const isRegular = (mode: number): boolean => (mode & S_IFMT) === S_IFREG;
export const isSymlink = (mode: number): boolean => (mode & S_IFMT) === S_IFLNK;
