#!/usr/bin/env python3
"""Check the pins of requirements files against PyPI's JSON API: known vulnerabilities fail, pins behind
the latest release are listed (and fail with --strict).

Why not only pip-audit: `pip-audit -s pypi` asks `https://pypi.org/pypi/<name>/<version>/json` for each
pin, and this CI machine reaches a PyPI mirror that answers only the project document
`/pypi/<name>/json` (every per-version URL is a 404, so pip-audit reports every package as "not found
on PyPI" and audits nothing); OSV (`-s osv`, api.osv.dev) is not reachable at all. The project document
carries `vulnerabilities` for the *latest* release only, so here a pin is audited when it is the latest
release; a pin behind it is reported as outdated, because its advisories cannot be looked up. Where the
per-version URL answers (real PyPI), this script uses it for every pin, like pip-audit does.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request

PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#]+)")


def pins(paths: list[str]) -> dict[str, str]:
    found = {}
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                match = PIN.match(line)
                if match:
                    found[match.group(1)] = match.group(3)
    return found


def fetch(url: str):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--strict", action="store_true", help="also fail when a pin is not the latest release")
    parser.add_argument("--index", default="https://pypi.org/pypi")
    args = parser.parse_args()
    vulnerable, outdated, unknown = [], [], []
    for name, version in sorted(pins(args.files).items(), key=lambda item: item[0].lower()):
        project = fetch(f"{args.index}/{name}/json")
        if project is None:
            unknown.append(f"{name}=={version}: not on the index")
            continue
        latest = project["info"]["version"]
        release = fetch(f"{args.index}/{name}/{version}/json")
        if release is not None:
            advisories = release.get("vulnerabilities") or []
        elif version == latest:
            advisories = project.get("vulnerabilities") or []
        else:
            advisories = None
        if version not in project.get("releases", {}):
            unknown.append(f"{name}=={version}: no such release")
        elif any(f.get("yanked") for f in project["releases"][version]):
            vulnerable.append(f"{name}=={version}: yanked ({project['releases'][version][0].get('yanked_reason')})")
        for advisory in advisories or []:
            fixed = ", ".join(advisory.get("fixed_in") or []) or "no fix yet"
            vulnerable.append(f"{name}=={version}: {advisory.get('id')} {', '.join(advisory.get('aliases') or [])}"
                              f" (fixed in {fixed})")
        if version != latest:
            note = "" if advisories is not None else " (its advisories cannot be looked up here)"
            outdated.append(f"{name}=={version}: latest is {latest}{note}")
        print(f"{name}=={version}: {'latest' if version == latest else 'behind ' + latest}, "
              f"{'unaudited' if advisories is None else str(len(advisories)) + ' known vulnerabilities'}")
    for title, items in (("KNOWN VULNERABILITIES", vulnerable), ("UNKNOWN PINS", unknown), ("OUTDATED", outdated)):
        if items:
            print(f"\n{title}:\n  " + "\n  ".join(items))
    failed = bool(vulnerable or unknown or (args.strict and outdated))
    print("\naudit:", "FAILED" if failed else "ok")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (urllib.error.URLError, OSError) as exc:  # HTTPError other than 404 included
        # The index could not be asked: say so loudly, but a registry outage is not a finding.
        print(f"\naudit: SKIPPED, the index did not answer ({exc})")
        sys.exit(0)
