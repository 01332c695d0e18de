//! `pmsite serve`: the preview follows the files as an author edits them, and a broken edit
//! keeps the last good site served.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::test::*;

/// A running `pmsite serve`, stopped when dropped; its stderr lines arrive on `log`.
struct Server {
    child: Child,
    address: String,
    log: mpsc::Receiver<String>,
}

impl Server {
    fn start(site: &Site) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--port", "0", "--today", "2025-06-01"])
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

    fn get(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(&self.address).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_edit_a_new_file_and_a_removal_show_up_without_a_build() {
    let site = Site::new();
    site.postmortem("disk-full.md", "", "The disk filled up.");
    let server = Server::start(&site);
    assert!(
        server
            .get("/incidents/disk-full/")
            .contains("The disk filled up.")
    );

    site.postmortem("disk-full.md", "", "The log volume filled up at noon.");
    server.wait_for("Rebuilt");
    assert!(
        server
            .get("/incidents/disk-full/")
            .contains("The log volume filled up at noon.")
    );

    site.postmortem("expired-certificate.md", "", "");
    server.wait_for("Rebuilt");
    assert!(server.get("/incidents/").contains("expired certificate"));

    std::fs::remove_file(site.path().join("postmortems/expired-certificate.md")).unwrap();
    server.wait_for("Rebuilt");
    assert!(
        server
            .get("/incidents/expired-certificate/")
            .starts_with("HTTP/1.1 404")
    );
    assert!(!site.exists("public/incidents/expired-certificate"));
}

#[test]
fn a_broken_edit_keeps_the_last_good_site_until_it_is_fixed() {
    let site = Site::new();
    site.postmortem("disk-full.md", "", "The disk filled up.");
    let server = Server::start(&site);
    let good = server.get("/incidents/disk-full/");

    site.write(
        "postmortems/disk-full.md",
        "+++\ntitle = \"Disk full\"\nseverity = \"SEV9\"\n+++\n",
    );
    let error = server.wait_for("the last good site stays served");
    assert!(error.contains("error"), "{error}");
    assert_eq!(server.get("/incidents/disk-full/"), good);

    site.postmortem("disk-full.md", "", "Fixed: the disk filled up.");
    server.wait_for("Rebuilt");
    assert!(
        server
            .get("/incidents/disk-full/")
            .contains("Fixed: the disk filled up.")
    );
}
