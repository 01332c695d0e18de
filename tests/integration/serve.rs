//! `pmsite serve`: the preview follows the files as an author edits them, open pages hear
//! of each build, a broken edit keeps the last good site served, and the HTTP server keeps
//! its limits.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::test::*;

/// A running `pmsite serve`, stopped when dropped; its stderr lines arrive on `log`.
pub(crate) struct Server {
    child: Child,
    pub(crate) address: String,
    log: mpsc::Receiver<String>,
}

impl Server {
    pub(crate) fn start(site: &Site) -> Server {
        Server::start_with(site, &[])
    }

    pub(crate) fn start_with(site: &Site, args: &[&str]) -> Server {
        let port = if args.contains(&"--port") {
            &[][..]
        } else {
            &["--port", "0"][..]
        };
        let mut child = Command::new(BIN)
            .args(["serve", "--today", "2025-06-01"])
            .args(port)
            .args(args)
            .current_dir(site.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start pmsite serve");
        let (lines, log) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            address: String::new(),
            log,
        };
        let line = server.wait_for("Serving ");
        let start = line.find("http://127.0.0.1:").expect("a URL") + "http://".len();
        let end = line[start..].find('/').expect("a path") + start;
        server.address = line[start..end].to_string();
        server
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The next stderr line holding `needle` (within 20 s).
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("pmsite serve never printed {needle:?}");
    }

    /// The whole answer to a raw request (sent as it is).
    fn raw(&self, request: &str) -> String {
        let mut stream = TcpStream::connect(&self.address).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        String::from_utf8_lossy(&response).into_owned()
    }

    fn get(&self, path: &str) -> String {
        self.raw(&format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        ))
    }

    /// The state open pages fetch, as `page` (an output file) sees it.
    fn state(&self, page: &str) -> Value {
        let response = self.get(&format!("/__pmsite/state?page={page}"));
        let body = &response[response.find("\r\n\r\n").expect("a body") + 4..];
        serde_json::from_str(body).unwrap_or_else(|e| panic!("state is not JSON ({e}): {body}"))
    }

    /// An event stream, as an open page connects one, and its `hello` event.
    fn listen(&self) -> (Events, Value) {
        let mut stream = TcpStream::connect(&self.address).expect("connect");
        write!(
            stream,
            "GET /__pmsite/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        let (sender, received) = mpsc::channel();
        std::thread::spawn(move || {
            let (mut name, mut data) = (String::new(), String::new());
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let line = line.trim_end_matches('\r');
                // The body is chunked: skip the chunk-size lines (hex digits only).
                if let Some(value) = line.strip_prefix("event: ") {
                    name = value.to_string();
                } else if let Some(value) = line.strip_prefix("data: ") {
                    data = value.to_string();
                } else if line.is_empty() && !name.is_empty() {
                    let value = serde_json::from_str(&data).unwrap_or(Value::Null);
                    if sender.send((std::mem::take(&mut name), value)).is_err() {
                        break;
                    }
                }
            }
        });
        let events = Events { received };
        let hello = events.next("hello", |_| true);
        (events, hello)
    }

    /// An open page's event stream.
    fn events(&self) -> Events {
        self.listen().0
    }

    /// The `hello` event a page connecting now hears.
    fn events_hello(&self) -> Value {
        self.listen().1
    }

    /// The server's resident memory, in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("VmRSS")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Events {
    received: mpsc::Receiver<(String, Value)>,
}

impl Events {
    /// The next event called `name` for which `wanted` holds (within 20 s).
    #[track_caller]
    fn next(&self, name: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.received.recv_timeout(left) {
                Ok((event, data)) if event == name && wanted(&data) => return data,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no {name} event as expected within 20 s");
    }

    /// The next `update` event naming `file` in `list` ("changed" or "removed").
    #[track_caller]
    fn update_naming(&self, list: &str, file: &str) -> Value {
        self.next("update", |update| {
            update[list]
                .as_array()
                .is_some_and(|files| files.iter().any(|f| f == file))
        })
    }
}

fn status_of(response: &str) -> &str {
    response.split(' ').nth(1).unwrap_or("")
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = &response[..response.find("\r\n\r\n").unwrap_or(response.len())];
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

fn body(response: &str) -> &str {
    response.find("\r\n\r\n").map_or("", |i| &response[i + 4..])
}

/// A site of one postmortem, `disk-full.md` (`front` added to its front matter), served.
pub(crate) fn serving(front: &str, body: &str) -> (Site, Server) {
    let site = Site::new();
    site.postmortem("disk-full.md", front, body);
    let server = Server::start(&site);
    (site, server)
}

/// Whether the server closed `stream` (or answered and closed), waiting up to `wait`.
fn closed(mut stream: &TcpStream, wait: Duration) -> bool {
    stream.set_read_timeout(Some(wait)).unwrap();
    match stream.read(&mut [0; 256]) {
        // End of stream, or an answer before closing (408).
        Ok(_read) => true,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

const PAGE: &str = "incidents/disk-full/index.html";

#[test]
fn an_edit_reloads_the_open_page_with_the_change() {
    let (site, server) = serving("", "The disk filled up.");
    let page = server.events();
    assert!(
        server
            .get("/incidents/disk-full/")
            .contains("The disk filled up.")
    );

    site.postmortem("disk-full.md", "", "The log volume filled up at noon.");
    let update = page.update_naming("changed", PAGE);
    assert_eq!(update["ok"], true);
    assert!(
        server
            .get("/incidents/disk-full/")
            .contains("The log volume filled up at noon.")
    );
}

#[test]
fn verbose_serve_prints_the_time_of_each_stage_of_a_rebuild() {
    let site = Site::new();
    site.postmortem("disk-full.md", "", "The disk filled up.");
    let server = Server::start_with(&site, &["--verbose"]);
    site.postmortem("disk-full.md", "", "The log volume filled up at noon.");
    server.wait_for("Rebuilt in ");
    let line = server.wait_for("render and write: ");
    assert!(line.trim_end().ends_with(" s"), "{line}");
    server.wait_for("in no stage: ");
}

#[test]
fn adding_deleting_and_renaming_files_tell_open_pages() {
    let (site, server) = serving("", "The disk filled up.");
    let page = server.events();

    site.postmortem("expired-certificate.md", "", "");
    page.update_naming("changed", "incidents/expired-certificate/index.html");
    assert!(server.get("/incidents/").contains("expired certificate"));

    std::fs::remove_file(site.path().join("postmortems/expired-certificate.md")).unwrap();
    page.update_naming("removed", "incidents/expired-certificate/index.html");
    assert_eq!(status_of(&server.get("/incidents/expired-certificate/")), "404");
    assert!(!site.exists("public/incidents/expired-certificate"));

    std::fs::rename(
        site.path().join("postmortems/disk-full.md"),
        site.path().join("postmortems/full-disk.md"),
    )
    .unwrap();
    let update = page.update_naming("removed", PAGE);
    assert!(
        update["changed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "incidents/full-disk/index.html"),
        "the renamed page is new: {update}"
    );
    assert!(
        server
            .get("/incidents/full-disk/")
            .contains("The disk filled up.")
    );
    assert_eq!(status_of(&server.get("/incidents/disk-full/")), "404");
}

#[test]
fn a_broken_edit_is_named_with_its_line_and_the_last_good_site_stays_until_it_is_fixed() {
    let (site, server) = serving("", "The disk filled up.");
    let page = server.events();
    // The page as built: the live script says which build served it, which changes.
    let page_as_built = |response: &str| {
        body(response)
            .split("<script src=\"/__pmsite/")
            .next()
            .unwrap()
            .to_string()
    };
    let good = page_as_built(&server.get("/incidents/disk-full/"));

    site.postmortem("disk-full.md", "severity = \"SEV9\"", "The disk filled up.");
    let error = server.wait_for("the last good site stays served");
    assert!(error.contains("error"), "{error}");
    assert_eq!(page.next("update", |_| true)["ok"], false);
    let state = server.state(PAGE);
    assert_eq!(state["ok"], false);
    let problem = &state["problems"][0];
    assert_eq!(problem["file"], "postmortems/disk-full.md");
    assert_eq!(problem["line"], 5, "{problem}");
    assert_eq!(problem["field"], "severity");
    assert_eq!(problem["code"], "PM005");
    assert!(
        problem["hint"].as_str().is_some_and(|h| h.contains("SEV1")),
        "{problem}"
    );
    assert_eq!(page_as_built(&server.get("/incidents/disk-full/")), good);

    site.postmortem("disk-full.md", "", "Fixed: the disk filled up.");
    let update = page.update_naming("changed", PAGE);
    assert_eq!(update["ok"], true);
    assert_eq!(server.state(PAGE)["ok"], true);
    assert!(
        server
            .get("/incidents/disk-full/")
            .contains("Fixed: the disk filled up.")
    );
}

#[test]
fn a_broken_pmsite_toml_is_shown_like_any_broken_file() {
    let (site, server) = serving("", "The disk filled up.");
    let page = server.events();
    let good = site.read("pmsite.toml");
    site.write("pmsite.toml", &format!("{good}colour = \"blue\"\n"));
    assert_eq!(page.next("update", |_| true)["ok"], false);
    let state = server.state(PAGE);
    assert!(
        state["fatal"].as_str().is_some_and(|f| f.contains("pmsite.toml")),
        "{state}"
    );
    assert_eq!(state["problems"][0]["file"], "pmsite.toml", "{state}");
    assert_eq!(state["problems"][0]["line"], 3, "{state}");
    assert_eq!(status_of(&server.get("/incidents/disk-full/")), "200");

    site.write("pmsite.toml", &good);
    assert_eq!(page.next("update", |_| true)["ok"], true);
    assert_eq!(server.state(PAGE)["ok"], true);
}

#[test]
fn a_first_build_that_fails_still_serves_the_problems_until_the_file_is_fixed() {
    let (site, server) = serving("severity = \"SEV9\"", "The disk filled up.");
    let placeholder = server.get("/");
    assert_eq!(status_of(&placeholder), "503", "{placeholder}");
    assert!(placeholder.contains("/__pmsite/live.js"), "{placeholder}");
    let state = server.state("index.html");
    assert_eq!(
        (state["ok"].clone(), state["site"].clone()),
        (false.into(), false.into())
    );
    assert_eq!(state["problems"][0]["file"], "postmortems/disk-full.md");

    let page = server.events();
    site.postmortem("disk-full.md", "", "The disk filled up.");
    page.update_naming("changed", "index.html");
    assert_eq!(status_of(&server.get("/")), "200");
    assert!(
        server
            .get("/incidents/disk-full/")
            .contains("The disk filled up.")
    );
}

#[test]
fn a_page_shows_its_own_policy_warnings() {
    let site = Site::new();
    site.postmortem("disk-full.md", "", "It was human error.")
        .postmortem("quiet.md", "", "The queue backed up.");
    let server = Server::start(&site);
    let codes = |page: &str| -> Vec<(String, String, u64)> {
        let state = server.state(page);
        state["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                let text = |key: &str| w[key].as_str().unwrap().to_string();
                (text("code"), text("file"), w["line"].as_u64().unwrap())
            })
            .collect()
    };
    let own = codes(PAGE);
    assert!(
        own.contains(&("PM101".into(), "postmortems/disk-full.md".into(), 7)),
        "{own:?}"
    );
    let other = codes("incidents/quiet/index.html");
    assert!(
        !other.is_empty()
            && other
                .iter()
                .all(|(code, file, _)| code != "PM101" && file == "postmortems/quiet.md")
    );
    assert!(
        codes("index.html").is_empty(),
        "only incident pages have warnings"
    );
}

#[test]
fn a_page_shows_its_warnings_beyond_those_the_terminal_prints() {
    let site = Site::new();
    // Each file has a handful of policy warnings; the terminal prints twenty in all.
    for n in 0..12 {
        site.postmortem(&format!("a{n:02}.md"), "", "It was human error.");
    }
    site.postmortem("zz-last.md", "", "It was human error.");
    let server = Server::start(&site);
    let state = server.state("incidents/zz-last/index.html");
    let warnings = state["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["code"] == "PM101" && w["file"] == "postmortems/zz-last.md"),
        "{state}"
    );
}

#[test]
fn the_reload_script_is_added_only_to_what_serve_answers() {
    let (site, server) = serving("", "The disk filled up.");
    let page = server.get("/incidents/disk-full/");
    let tag = page
        .find("<script src=\"/__pmsite/live.js\" data-boot=\"")
        .expect("the script");
    assert!(page[tag..].contains("></script>\n</body>"), "{page}");
    let script = server.get("/__pmsite/live.js");
    assert_eq!(status_of(&script), "200");
    assert!(header(&script, "content-type").is_some_and(|t| t.contains("javascript")));
    assert!(!server.get("/assets/style.css").contains("__pmsite"));
    drop(server);

    // Neither what serve wrote nor what build writes has a trace of it.
    let served = site.snapshot("public");
    site.build();
    for (what, files) in [("serve", served), ("build", site.snapshot("public"))] {
        assert!(files.len() > 10);
        for (path, bytes) in files {
            assert!(
                !String::from_utf8_lossy(&bytes).contains("__pmsite"),
                "{what} wrote the reload script into {}",
                path.display()
            );
        }
    }
}

/// The build a page says it was served from (its script's `data-generation`).
fn served_generation(page: &str) -> u64 {
    let at = page.find("data-generation=\"").expect("a generation") + "data-generation=\"".len();
    page[at..].split('"').next().unwrap().parse().unwrap()
}

#[test]
fn a_page_says_which_build_it_came_from_so_an_edit_before_its_stream_connects_is_not_missed() {
    let (site, server) = serving("", "The disk filled up.");
    let stream = server.events();
    let before = server.get("/incidents/disk-full/");
    assert_eq!(
        served_generation(&before),
        server.state(PAGE)["generation"].as_u64().unwrap()
    );
    // The page is loaded; the edit's build ends before its script connects: the hello
    // event then names a later build than the page, which is the script's cue to reload.
    site.postmortem("disk-full.md", "", "The log volume filled up at noon.");
    stream.update_naming("changed", PAGE);
    let hello = server.events_hello();
    assert!(hello["generation"].as_u64().unwrap() > served_generation(&before));
    let after = server.get("/incidents/disk-full/");
    // At least that build (the search stage may have finished one more since).
    assert!(served_generation(&after) >= hello["generation"].as_u64().unwrap());
    assert!(after.contains("The log volume filled up at noon."));

    // The 404 page, shown at any URL, tells the script it is 404.html: a change to it
    // reloads it wherever it is shown.
    let missing = server.get("/no/such/page/");
    assert!(missing.contains(" data-file=\"404.html\">"), "{missing}");
    assert!(!after.contains("data-file="));
}

#[test]
fn a_build_into_the_served_folder_waits_until_serve_stops() {
    let (site, server) = serving("", "The disk filled up.");
    let mut build = Command::new(BIN)
        .args(["build", "--quiet", "--today", "2025-06-01"])
        .current_dir(site.path())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pmsite build");
    let mut stderr = BufReader::new(build.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(
        first.contains("waiting for another pmsite build or serve"),
        "{first}"
    );
    // An edit while the build waits: the preview goes on writing the folder alone.
    let page = server.events();
    site.postmortem("disk-full.md", "", "The log volume filled up.");
    page.update_naming("changed", PAGE);
    assert!(build.try_wait().unwrap().is_none(), "the build still waits");

    drop(server);
    assert!(build.wait().unwrap().success());
    // The build writes the site as it read it before it waited.
    let page = site.read("public/incidents/disk-full/index.html");
    assert!(page.contains("The disk filled up."), "{page}");
}

#[test]
fn head_etags_and_content_types_are_those_of_a_web_server() {
    let site = Site::new();
    site.postmortem("disk-full.md", "", "The disk filled up.")
        .write("static/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>")
        .write("static/fonts/body.woff2", "wOF2")
        .write("static/pixel.png", "\u{89}PNG");
    let server = Server::start(&site);

    let get = server.get("/");
    let head = server.raw("HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(status_of(&head), "200");
    assert_eq!(body(&head), "", "HEAD has no body");
    assert_eq!(
        header(&head, "content-length"),
        Some(body(&get).len().to_string().as_str())
    );

    let etag = header(&get, "etag").expect("an ETag").to_string();
    let again = server.raw(&format!(
        "GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(status_of(&again), "304", "{again}");
    assert_eq!(body(&again), "");
    let other = server.raw("GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"0\"\r\nConnection: close\r\n\r\n");
    assert_eq!(status_of(&other), "200");

    for (path, expected) in [
        ("/", "text/html; charset=utf-8"),
        ("/assets/style.css", "text/css; charset=utf-8"),
        ("/assets/search.js", "javascript; charset=utf-8"),
        ("/incidents.json", "application/json"),
        ("/feed.xml", "xml"),
        ("/logo.svg", "image/svg+xml"),
        ("/fonts/body.woff2", "font/woff2"),
        ("/pixel.png", "image/png"),
    ] {
        let response = server.get(path);
        assert_eq!(status_of(&response), "200", "{path}");
        let kind = header(&response, "content-type").unwrap_or_default();
        assert!(kind.contains(expected), "{path}: {kind}, expected {expected}");
    }

    let missing = server.get("/no/such/page/");
    assert_eq!(status_of(&missing), "404");
    assert!(
        missing.contains("/__pmsite/live.js"),
        "the site's own 404 page, served live"
    );
    let folder = server.get("/incidents");
    assert_eq!(status_of(&folder), "301");
    assert_eq!(header(&folder, "location"), Some("/incidents/"));
    let post = server.raw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    assert_eq!(status_of(&post), "405");
}

#[test]
fn no_path_leaves_the_site() {
    let site = Site::new();
    site.postmortem("disk-full.md", "", "The disk filled up.")
        .write("secret.txt", "SECRET-TEXT\n");
    let server = Server::start(&site);
    std::os::unix::fs::symlink(
        site.path().join("secret.txt"),
        site.path().join("public/leak.toml"),
    )
    .unwrap();
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/incidents/..%2f..%2fsecret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/leak.toml",
        "/..%5csecret.txt",
    ] {
        let response = server.get(path);
        assert!(
            !response.contains("SECRET-TEXT"),
            "{path} reached a file outside the site:\n{response}"
        );
        assert!(
            matches!(status_of(&response), "404" | "400"),
            "{path}: {response}"
        );
    }
}

#[test]
fn bind_to_every_interface_warns_that_the_preview_is_reachable_from_the_network() {
    let site = Site::new();
    site.postmortem("disk-full.md", "", "");
    let server = Server::start_with(&site, &["--bind", "0.0.0.0"]);
    server.wait_for("reachable from the network");
    assert_eq!(status_of(&server.get("/")), "200");
    // One preview writes an output folder at a time.
    drop(server);

    let local = Server::start(&site);
    assert_eq!(status_of(&local.get("/")), "200");
    let warned = std::iter::from_fn(|| local.log.recv_timeout(Duration::from_millis(300)).ok())
        .any(|line| line.contains("reachable from the network"));
    assert!(!warned, "a loopback preview warned about the network");
}

#[test]
fn oversized_request_lines_and_headers_are_refused_without_memory_growing() {
    let (_site, server) = serving("", "");
    let before = server.rss_kib();
    let huge = "a".repeat(64 << 20);
    for request in [
        format!("GET /{huge} HTTP/1.1\r\nHost: x\r\n\r\n"),
        format!("GET / HTTP/1.1\r\nHost: x\r\nX-Big: {huge}\r\n\r\n"),
    ] {
        let started = Instant::now();
        let mut stream = TcpStream::connect(&server.address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        // The server stops reading long before the end: the write fails, or is cut short.
        let _ = stream.write_all(request.as_bytes());
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "an oversized request got {}",
            answer.lines().next().unwrap_or_default()
        );
        assert!(started.elapsed() < Duration::from_secs(10), "refused too slowly");
    }
    let grown = server.rss_kib().saturating_sub(before);
    assert!(
        grown < 32 * 1024,
        "serve grew by {grown} KiB reading two 64 MiB requests"
    );
    assert_eq!(status_of(&server.get("/")), "200");
}

#[test]
fn thousands_of_idle_connections_do_not_stop_it_answering() {
    let (site, server) = serving("", "");
    let idle: Vec<TcpStream> = (0..3000)
        .map(|_| TcpStream::connect(&server.address).expect("connect"))
        .collect();
    let started = Instant::now();
    let response = server.get("/");
    assert_eq!(status_of(&response), "200");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered after {:?} with 3000 idle connections open",
        started.elapsed()
    );
    // The oldest idle ones made room: they were closed.
    assert!(
        closed(&idle[0], Duration::from_secs(5)),
        "the oldest idle connection is still open"
    );
    // An open page's event stream is never closed for room.
    let page = server.events();
    let more: Vec<TcpStream> = (0..1000)
        .map(|_| TcpStream::connect(&server.address).expect("connect"))
        .collect();
    site.postmortem("disk-full.md", "", "Still listening.");
    page.update_naming("changed", PAGE);
    drop((idle, more));
}

#[test]
fn a_client_that_sends_its_headers_too_slowly_is_cut_off() {
    let (_site, server) = serving("", "");
    let mut slow = TcpStream::connect(&server.address).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let started = Instant::now();
    let cut = loop {
        std::thread::sleep(Duration::from_millis(500));
        let sent = slow.write_all(b"X-Slow: a\r\n").is_ok();
        if !sent || closed(&slow, Duration::from_millis(1)) || started.elapsed() > Duration::from_secs(20) {
            break started.elapsed();
        }
    };
    assert!(
        cut < Duration::from_secs(15),
        "a client dripping headers was served for {cut:?}"
    );
    assert_eq!(status_of(&server.get("/")), "200");
}

#[test]
fn canonical_links_and_feeds_point_at_the_preview_unless_base_url_is_given() {
    let site = Site::new();
    site.postmortem("disk-full.md", "", "The disk filled up.");
    let server = Server::start(&site);
    let here = server.url("/");
    let page = server.get("/incidents/disk-full/");
    assert!(
        page.contains(&format!("rel=\"canonical\" href=\"{here}incidents/disk-full/\"")),
        "{page}"
    );
    assert!(server.get("/feed.xml").contains(&here));
    drop(server);

    let server = Server::start_with(&site, &["--base-url", "https://preview.example.org/pr-7/"]);
    assert!(
        server
            .get("/incidents/disk-full/")
            .contains("rel=\"canonical\" href=\"https://preview.example.org/pr-7/incidents/disk-full/\"")
    );
}
