#!/usr/bin/env python3
"""Where a built site's bytes are: per page kind and per file type.

    python3 bench/output_size.py OUTPUT_DIR

Issue 11's output target (<= 300 MB at 10,000 postmortems) is judged on `du -sb` of the
output; this says which page kinds the bytes are in (README.md, "Output size").
"""
import collections
import os
import sys


def kind(rel):
    parts = rel.split("/")
    if rel.endswith(".xml"):
        return "sitemap" if rel == "sitemap.xml" else "feeds"
    if parts[0] == "incidents":
        if len(parts) == 3 and parts[2] == "index.html" and parts[1] != "page":
            return "incident pages"
        return "incidents list (paged)"
    if parts[0] == "search":
        return "search/" + parts[1] + ("/*" if len(parts) > 2 else "")
    if parts[0] == "action-items":
        if len(parts) > 1 and parts[1] == "owners":
            return "action-items/owners/* (paged)" if len(parts) > 3 else "action-items/owners/"
        return "action-items open/overdue/done (paged)"
    if parts[0] in ("tags", "services", "severities", "years", "root-causes"):
        return parts[0] + ("/" if len(parts) == 2 else "/* (paged)")
    return parts[0] if len(parts) > 1 else "root: " + parts[0]


def main():
    root = sys.argv[1]
    size, count, by_type = collections.Counter(), collections.Counter(), collections.Counter()
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            n = os.path.getsize(path)
            k = kind(os.path.relpath(path, root))
            size[k] += n
            count[k] += 1
            by_type[name.rsplit(".", 1)[-1]] += n
    total = sum(size.values())
    print(f"{'kind':42} {'files':>6} {'MB':>8} {'%':>5} {'avg KB':>7}")
    for k, n in size.most_common():
        print(f"{k:42} {count[k]:6} {n / 1e6:8.2f} {100 * n / total:5.1f} {n / count[k] / 1e3:7.1f}")
    print(f"{'total (file bytes; du -sb adds folders)':42} {sum(count.values()):6} {total / 1e6:8.2f}")
    print("by type (MB):", ", ".join(f"{t} {n / 1e6:.1f}" for t, n in by_type.most_common()))


if __name__ == "__main__":
    main()
