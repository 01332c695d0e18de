#!/usr/bin/env python3
"""Benchmark `pmsite serve`: how long from saving a postmortem to the served page showing it.

Usage: bench/serve.py [--pmsite BIN] [--n 10000] [--edits 15] [--corpus DIR]

Starts `pmsite serve --port 0` on a copy of a synthetic corpus (output on /dev/shm) and
listens to its live-reload events (/__pmsite/events) as an open page does. For each edit it
appends a unique sentence to one postmortem's body, waits for the `update` event that names
the page's file, then fetches the page and checks it holds the sentence: the time from the
write to that (what an open page needs before it reloads). Reports median and p90 against
the targets (the event alone beside it), the same for adding a tag (the event naming the
tag's page, which must list the incident), the example site's median, and the server's peak
RSS against a full build's (from /usr/bin/time -v).

A browser's reload after the event adds the page's own load time (a few milliseconds here).
"""
import argparse
import json
import os
import queue
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
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


class Events:
    """The live-reload event stream, as an open page hears it: (arrival time, name, data)."""

    def __init__(self, base):
        host, port = re.match(r"http://([^:/]+):(\d+)/", base).groups()
        self.sock = socket.create_connection((host, int(port)))
        self.sock.sendall(b"GET /__pmsite/events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")
        self.queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next("hello", lambda data: True, 30)

    def _read(self):
        name, data = None, None
        for raw in self.sock.makefile("rb"):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and name:
                self.queue.put((time.monotonic(), name, json.loads(data)))
                name, data = None, None

    def next(self, name, wanted, limit=120.0):
        deadline = time.monotonic() + limit
        while True:
            try:
                at, event, data = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise SystemExit(f"no {name} event as expected within {limit:.0f} s")
            if event == name and wanted(data):
                return at

    def drain(self):
        while not self.queue.empty():
            self.queue.get_nowait()


def changed(update, file):
    return update.get("all") or file in update["changed"]


def page_of(path):
    """The output file of a postmortem's page: its id (front matter) or its file name."""
    text = open(path).read()
    ident = re.search(r'^id\s*[=:]\s*"?([^"\n]+?)"?\s*$', text, re.M)
    name = ident.group(1) if ident else os.path.basename(path)[:-3]
    return "incidents/" + name + "/index.html"


def edit_and_wait(events, base, file, write, needle):
    """Writes, waits for the event naming `file`, fetches it: (event seconds, served seconds)."""
    events.drain()
    start = time.monotonic()
    write()
    heard = events.next("update", lambda update: update["ok"] and changed(update, file))
    body = fetch(base + file)
    done = time.monotonic()
    if needle not in body:
        raise SystemExit(f"{file} was announced but does not hold {needle!r}")
    return heard - start, done - start


def edits(events, base, files, count, label, output):
    announced, served = [], []
    published = [f for f in files if os.path.exists(os.path.join(output, page_of(f)))]
    for i in range(count):
        path = published[(i * 7919) % len(published)]
        sentence = f"Benchmark sentence {label} {i} {time.time_ns()}."

        def write():
            with open(path, "a") as f:
                f.write("\n" + sentence + "\n")

        heard, done = edit_and_wait(events, base, page_of(path), write, sentence)
        announced.append(heard)
        served.append(done)
        time.sleep(0.3)
    return announced, served


def peak_rss_kb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def report(name, times, median_target=None, p90_target=None, announced=None):
    times = sorted(times)
    median = statistics.median(times)
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    verdict = []
    if median_target is not None:
        verdict.append(f"median target {median_target * 1000:.0f} ms: {'PASS' if median <= median_target else 'MISS'}")
    if p90_target is not None:
        verdict.append(f"p90 target {p90_target * 1000:.0f} ms: {'PASS' if p90 <= p90_target else 'MISS'}")
    heard = ""
    if announced:
        heard = f" (the event alone: median {statistics.median(announced) * 1000:.0f} ms)"
    print(f"{name}: median {median * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms "
          f"over {len(times)}{heard}; " + "; ".join(verdict))


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
        events = Events(base)
        output = os.path.join(root, "public")
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(root, "postmortems"))
                       for f in fs if f.endswith(".md"))
        # The corpus's own count: --corpus may hold any number.
        n = len(files)
        announced, served = edits(events, base, files, args.edits, "body", output)
        report(f"{n} postmortems, body edit -> reload event + page served", served, 0.3, 1.0, announced)

        # Adding a tag: the event names the new tag's page, which lists the incident.
        announced, served = [], []
        for i in range(max(3, args.edits // 3)):
            path = files[(i * 104729) % len(files)]
            if not os.path.exists(os.path.join(output, page_of(path))):
                continue
            text = open(path).read()
            tag = f"bench-tag-{i}-{time.time_ns() % 100000}"
            text = re.sub(r"^tags = \[", f'tags = ["{tag}", ', text, count=1, flags=re.M)
            incident = page_of(path)[len("incidents/"):-len("index.html")]
            heard, done = edit_and_wait(events, base, f"tags/{tag}/index.html",
                                        lambda: open(path, "w").write(text), incident)
            announced.append(heard)
            served.append(done)
            time.sleep(0.3)
        report(f"{n} postmortems, tag added -> reload event + tag page served", served, 1.0, None, announced)
        time.sleep(15)  # the deferred search stage
        serve_peak = peak_rss_kb(proc.pid)
        print(f"memory: serve peak {serve_peak / 1024:.0f} MiB vs full build peak {build_peak / 1024:.0f} MiB "
              f"(target: serve <= build): {'PASS' if serve_peak <= build_peak else 'MISS'}")
    finally:
        proc.terminate()
        proc.wait()

    example = os.path.join(work, "example")
    shutil.copytree(os.path.join(REPO, "content-example"), example)
    shutil.rmtree(os.path.join(example, "public"), ignore_errors=True)
    proc, base = serve(args.pmsite, example)
    try:
        events = Events(base)
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(example, "postmortems"))
                       for f in fs if f.endswith(".md"))
        # Only published postmortems have pages (drafts and restricted ones are skipped).
        announced, served = edits(events, base, files, args.edits, "ex", os.path.join(example, "public"))
        report("example site, body edit -> reload event + page served", served, 0.1, None, announced)
    finally:
        proc.terminate()
        proc.wait()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
