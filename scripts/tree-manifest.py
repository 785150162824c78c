#!/usr/bin/python3
"""Prints a JSON manifest of a directory tree, for comparing an unpacked image with
dnf's install of the same packages: per path its type, mode, owner, size, link target,
content digest and security.capability xattr. Usage: tree-manifest.py ROOT [PATH...]
(with paths: only those, relative to ROOT, as absolute paths like /usr/bin/x)."""
import hashlib, json, os, stat, sys

root = sys.argv[1]
only = sys.argv[2:]

def entry(rel):
    full = os.path.join(root, rel.lstrip('/'))
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        return None
    e = {'mode': oct(stat.S_IMODE(st.st_mode)), 'uid': st.st_uid, 'gid': st.st_gid}
    if stat.S_ISDIR(st.st_mode):
        e['type'] = 'dir'
    elif stat.S_ISLNK(st.st_mode):
        e['type'] = 'symlink'
        e['target'] = os.readlink(full)
        del e['mode']  # symlink modes are not meaningful on Linux
    elif stat.S_ISREG(st.st_mode):
        e['type'] = 'file'
        e['size'] = st.st_size
        with open(full, 'rb') as f:
            e['sha256'] = hashlib.sha256(f.read()).hexdigest()
        try:
            e['caps'] = os.getxattr(full, 'security.capability', follow_symlinks=False).hex()
        except OSError:
            pass
    else:
        e['type'] = 'other'
        e['rdev'] = st.st_rdev
    return e

out = {}
if only:
    for p in only:
        out[p] = entry(p)
else:
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            full = os.path.join(dirpath, n)
            rel = '/' + os.path.relpath(full, root)
            out[rel] = entry(rel)
json.dump(out, sys.stdout, sort_keys=True)
