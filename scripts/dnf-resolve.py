#!/usr/bin/python3
"""Reference resolver: ask dnf what `dnf install` would put into an empty root.

Run it with the system python that has the dnf module (on Debian/Fedora:
/usr/bin/python3, not a pyenv/venv python):

    echo '{"repos": [{"id": "base", "baseurl": "file:///abs/test/fixtures/repos/base",
                      "priority": 99, "cost": 1000}],
           "arch": "x86_64", "packages": ["webapp"], "exclude": [],
           "weakDeps": true, "modules": []}' | /usr/bin/python3 scripts/dnf-resolve.py

Input: one JSON request, or a JSON array of requests (answered with an array,
in order; dnf start-up is slow, so tests send all cases at once).
Output: {"ok": true, "packages": [{"name", "epoch", "version", "release",
"arch", "repo"}]} sorted by name then arch, or {"ok": false, "error": "..."}
when the request is unresolvable or names something unknown. Exit status is 0
in both cases; non-zero only when this script itself fails.

Each request gets its own dnf.Base with a fresh temporary installroot, cachedir
and persistdir, no config file, no system repos and no host variables, so the
host's dnf configuration never leaks in. Otherwise dnf's defaults apply
(best=False, obsoletes=True, strict=True, group_package_types = mandatory,
default, conditional), as for

    dnf install --installroot=EMPTY --forcearch=ARCH --setopt=reposdir=EMPTY \\
        --setopt=install_weak_deps=... --setopt=excludepkgs=... \\
        --setopt=module_platform_id=platform:el9 SPEC...

(after `dnf module enable` of the requested module streams).
"""

import json
import logging
import os
import shutil
import sys
import tempfile

import dnf
import dnf.exceptions
import dnf.module.module_base

# Modules in the fixtures require platform:el9; module_platform_id provides
# that virtual "platform" module, without which modular filtering would drop
# every modular package.
MODULE_PLATFORM_ID = "platform:el9"


def _conf(base, tmp, req):
    conf = base.conf
    conf.config_file_path = os.devnull
    conf.installroot = os.path.join(tmp, "root")
    conf.cachedir = os.path.join(tmp, "cache")
    conf.persistdir = os.path.join(tmp, "persist")
    conf.logdir = os.path.join(tmp, "log")
    conf.reposdir = [os.path.join(tmp, "repos.d")]
    conf.varsdir = [os.path.join(tmp, "vars")]
    conf.pluginpath = []
    conf.plugins = False
    conf.gpgcheck = False
    conf.repo_gpgcheck = False
    conf.localpkg_gpgcheck = False
    conf.assumeyes = True
    conf.best = False
    conf.obsoletes = True
    conf.strict = True
    conf.skip_if_unavailable = False
    conf.install_weak_deps = bool(req.get("weakDeps", True))
    conf.excludepkgs = list(req.get("exclude", []))
    conf.module_platform_id = MODULE_PLATFORM_ID
    conf.releasever = "9"
    # --forcearch=ARCH: sets the arch (and basearch) substitution, which is
    # also the arch the sack is created with, and ignores rpm's arch check.
    arch = req.get("arch") or "x86_64"
    conf.arch = arch
    conf.ignorearch = True
    for d in (conf.installroot, conf.cachedir, conf.persistdir, conf.logdir,
              conf.reposdir[0], conf.varsdir[0]):
        os.makedirs(d, exist_ok=True)


def _add_repos(base, req):
    for r in req.get("repos", []):
        kwargs = {"baseurl": [r["baseurl"]], "skip_if_unavailable": False,
                  "gpgcheck": False, "enabled": True}
        if r.get("priority") is not None:
            kwargs["priority"] = int(r["priority"])
        if r.get("cost") is not None:
            kwargs["cost"] = int(r["cost"])
        base.repos.add_new_repo(r["id"], base.conf, **kwargs)


def _pkg_json(pkg):
    return {"name": pkg.name, "epoch": int(pkg.epoch or 0), "version": pkg.version,
            "release": pkg.release, "arch": pkg.arch, "repo": pkg.reponame}


def _install_specs(base, specs):
    """Mark the specs like dnf's install command does."""
    missing = []
    grp_specs = [s[1:] for s in specs if s.startswith("@")]
    pkg_specs = [s for s in specs if not s.startswith("@")]

    if grp_specs:
        # `@x` is first a module (profile) spec, then a group / environment.
        skipped = []
        if dnf.base.WITH_MODULES:
            try:
                dnf.module.module_base.ModuleBase(base).install(grp_specs, strict=True)
            except dnf.exceptions.MarkingErrors as e:
                skipped.extend(e.no_match_group_specs or [])
                missing.extend("@" + s for s in (e.error_group_specs or []))
                if e.module_depsolv_errors:
                    raise
        else:
            skipped = grp_specs
        if skipped:
            base.read_comps(arch_filter=True)
            try:
                base.env_group_install(skipped, tuple(base.conf.group_package_types),
                                       strict=True)
            except dnf.exceptions.MarkingError:
                missing.extend("@" + s for s in skipped)

    for spec in pkg_specs:
        try:
            base.install(spec, strict=True)
        except dnf.exceptions.MarkingError:
            missing.append(spec)
    if missing:
        raise dnf.exceptions.PackagesNotAvailableError(
            "No match for argument: " + ", ".join(missing))


def resolve(req):
    tmp = tempfile.mkdtemp(prefix="dnf-resolve-")
    base = None
    try:
        base = dnf.Base()
        _conf(base, tmp, req)
        _add_repos(base, req)
        base.fill_sack(load_system_repo=False, load_available_repos=True)
        modules = req.get("modules") or []
        if modules:
            try:
                dnf.module.module_base.ModuleBase(base).enable(modules)
            except dnf.exceptions.MarkingErrors as e:
                if e.no_match_group_specs:
                    return {"ok": False, "error": "No match for module: " +
                            ", ".join(e.no_match_group_specs)}
                return {"ok": False, "error": "module enable failed: %s" % e}
        try:
            _install_specs(base, req.get("packages", []))
            base.resolve(allow_erasing=False)
        except dnf.exceptions.DepsolveError as e:
            return {"ok": False, "error": str(e).strip()}
        except dnf.exceptions.MarkingErrors as e:
            return {"ok": False, "error": str(e).strip()}
        except dnf.exceptions.MarkingError as e:
            return {"ok": False, "error": str(e).strip()}
        pkgs = sorted((_pkg_json(p) for p in base.transaction.install_set),
                      key=lambda p: (p["name"], p["arch"]))
        return {"ok": True, "packages": pkgs}
    finally:
        if base is not None:
            base.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    # dnf/librepo/hawkey chatter goes to stderr (or the temp logdir), never stdout.
    logging.basicConfig(stream=sys.stderr, level=logging.ERROR)
    data = json.load(sys.stdin)
    if isinstance(data, list):
        out = [resolve(r) for r in data]
    else:
        out = resolve(data)
    json.dump(out, sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
