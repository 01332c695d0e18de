#!/usr/bin/env python3
"""Benchmark `pmsite serve`: how long from saving a postmortem to the served page showing it.

Usage: bench/serve.py [--pmsite BIN] [--n 10000] [--edits 15] [--corpus DIR]

Starts `pmsite serve --port 0` on a copy of a synthetic corpus (output on /dev/shm), then
for each edit appends a unique sentence to one postmortem's body and polls the served
incident page every 5 ms until it holds the sentence. Reports median and p90 against the
targets, the same for adding a tag (polled on the tag's page), the example site's median,
and the server's peak RSS against a full build's (from /usr/bin/time -v).

The page is fetched over HTTP, not reloaded in a browser: the numbers are the time until
the server serves the new page (the reload a browser makes then adds a few milliseconds).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
GEN = os.path.join(REPO, "..", "shared", "bench", "gen_corpus.py")


def serve(pmsite, root):
    proc = subprocess.Popen(
        [pmsite, "serve", "--root", root, "--port", "0", "--quiet"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    for line in proc.stderr:
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if found:
            return proc, found.group(0)
    raise SystemExit("pmsite serve did not start")


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except Exception:
        return ""


def wait_for(url, needle, limit=60.0):
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if needle in fetch(url):
            return time.monotonic()
        time.sleep(0.005)
    raise SystemExit(f"{url} never showed {needle!r}")


def edits(pmsite, root, base, files, count, label):
    times = []
    for i in range(count):
        path = files[(i * 7919) % len(files)]
        page = base + "incidents/" + os.path.basename(path)[:-3] + "/"
        if "id = " in open(path).read():
            ident = re.search(r'^id = "([^"]+)"', open(path).read(), re.M)
            if ident:
                page = base + "incidents/" + ident.group(1) + "/"
        fetch(page)
        sentence = f"Benchmark sentence {label} {i} {time.time_ns()}."
        with open(path, "a") as f:
            f.write("\n" + sentence + "\n")
        start = time.monotonic()
        times.append(wait_for(page, sentence) - start)
        time.sleep(0.3)
    return times


def peak_rss_kb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def report(name, times, median_target=None, p90_target=None):
    times = sorted(times)
    median = statistics.median(times)
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    verdict = []
    if median_target is not None:
        verdict.append(f"median target {median_target * 1000:.0f} ms: {'PASS' if median <= median_target else 'MISS'}")
    if p90_target is not None:
        verdict.append(f"p90 target {p90_target * 1000:.0f} ms: {'PASS' if p90 <= p90_target else 'MISS'}")
    print(f"{name}: median {median * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms "
          f"over {len(times)}; " + "; ".join(verdict))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pmsite", default=os.path.join(REPO, "target", "release", "pmsite"))
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--edits", type=int, default=15)
    parser.add_argument("--corpus", default=None, help="an existing corpus to copy")
    args = parser.parse_args()
    if not os.path.exists(args.pmsite):
        subprocess.run(["cargo", "build", "--release", "--locked"], cwd=REPO, check=True)

    work = "/dev/shm/pmsite-bench-serve"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    root = os.path.join(work, "site")
    if args.corpus:
        shutil.copytree(args.corpus, root)
    else:
        subprocess.run([sys.executable, GEN, root, str(args.n), "--seed", "1"], check=True,
                       stdout=subprocess.DEVNULL)

    # A full build's peak memory, for comparison.
    timed = subprocess.run(["/usr/bin/time", "-v", args.pmsite, "build", "--root", root, "--output",
                            os.path.join(work, "full"), "--quiet"], capture_output=True, text=True)
    build_peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timed.stderr).group(1))

    proc, base = serve(args.pmsite, root)
    try:
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(root, "postmortems"))
                       for f in fs if f.endswith(".md"))
        body = edits(args.pmsite, root, base, files, args.edits, "body")
        report(f"{args.n} postmortems, body edit -> page served", body, 0.3, 1.0)

        # Adding a tag: wait for the new tag's page to list the incident.
        tags = []
        for i in range(max(3, args.edits // 3)):
            path = files[(i * 104729) % len(files)]
            text = open(path).read()
            tag = f"bench-tag-{i}-{time.time_ns() % 100000}"
            text = re.sub(r"^tags = \[", f'tags = ["{tag}", ', text, count=1, flags=re.M)
            start = time.monotonic()
            open(path, "w").write(text)
            tags.append(wait_for(base + "tags/" + tag + "/", "incident") - start)
            time.sleep(0.3)
        report(f"{args.n} postmortems, tag added -> tag page served", tags, 1.0)
        time.sleep(15)  # the deferred search stage
        serve_peak = peak_rss_kb(proc.pid)
        print(f"memory: serve peak {serve_peak / 1024:.0f} MiB vs full build peak {build_peak / 1024:.0f} MiB: "
              f"{'PASS' if serve_peak <= build_peak else 'MISS'}")
    finally:
        proc.terminate()
        proc.wait()

    example = os.path.join(work, "example")
    shutil.copytree(os.path.join(REPO, "content-example"), example)
    shutil.rmtree(os.path.join(example, "public"), ignore_errors=True)
    proc, base = serve(args.pmsite, example)
    try:
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(example, "postmortems"))
                       for f in fs if f.endswith(".md"))
        # Only published postmortems have pages: drafts and restricted ones are skipped.
        files = [f for f in files if 'status = "draft"' not in open(f).read()
                 and 'visibility = "restricted"' not in open(f).read()]
        report("example site, body edit -> page served", edits(args.pmsite, example, base, files, args.edits, "ex"), 0.1)
    finally:
        proc.terminate()
        proc.wait()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
