//! The preview's HTTP server (hyper on a small tokio runtime of its own): the output folder
//! as a web server would serve it (clean URLs, the site's 404 page, ETags), the live-reload
//! script added to HTML, and the script's event stream and state.
//!
//! Limits, so that a hostile or broken client cannot take the preview down: the request
//! line and headers must fit in [`MAX_HEAD`] bytes and arrive within [`HEAD_TIMEOUT`]; a
//! connection with no traffic for [`IDLE_TIMEOUT`] is closed; at most [`MAX_CONNECTIONS`]
//! are open, and when a new one comes beyond that, the longest-open connection that is not
//! being answered makes room for it (as nginx drains idle keep-alive connections), so
//! thousands of idle connections cannot stop it answering others.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::hash::Hasher;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc};

use super::live::Live;
use super::script;
use crate::content::links::percent_decode;

/// The request line and all headers together.
pub const MAX_HEAD: usize = 16 * 1024;
const MAX_HEADERS: usize = 64;
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
pub const MAX_CONNECTIONS: usize = 512;
/// Under [`IDLE_TIMEOUT`]: an open event stream is never idle.
const PING_EVERY: Duration = Duration::from_secs(10);

type ResponseBody = Either<Full<Bytes>, Events>;

/// Serves `site` on `listener` from a thread of its own, until the process ends.
pub fn start(listener: std::net::TcpListener, site: PathBuf, live: Arc<Live>) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("pmsite-http")
        .enable_all()
        .build()?;
    let shared = Arc::new(Shared {
        site,
        live,
        connections: Connections::default(),
    });
    std::thread::Builder::new()
        .name("pmsite-serve".into())
        .spawn(move || runtime.block_on(accept(listener, shared)))?;
    Ok(())
}

struct Shared {
    site: PathBuf,
    live: Arc<Live>,
    connections: Connections,
}

async fn accept(listener: std::net::TcpListener, shared: Arc<Shared>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let pinging = shared.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(PING_EVERY);
        loop {
            every.tick().await;
            pinging.live.ping();
        }
    });
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors, or a connection reset before it was taken: wait a
            // moment rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        match shared.connections.admit() {
            Some(connection) => {
                tokio::spawn(serve_connection(stream, connection, shared.clone()));
            }
            None => refuse(stream),
        }
    }
}

/// Every connection is being answered: say so and close (a fresh socket's buffer takes
/// the few bytes at once, so this never waits).
fn refuse(stream: TcpStream) {
    let answer = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let _ = stream.try_write(answer);
}

async fn serve_connection(stream: TcpStream, connection: Arc<Connection>, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(Watched {
        stream,
        connection: connection.clone(),
    });
    let answering = connection.clone();
    let for_service = shared.clone();
    let service = hyper::service::service_fn(move |request| {
        let busy = Busy::new(&answering);
        let shared = for_service.clone();
        async move { Ok::<_, Infallible>(respond(&shared, request, busy).await) }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_HEAD)
        .max_headers(MAX_HEADERS);
    let served = http.serve_connection(io, service);
    tokio::pin!(served);
    loop {
        let quiet = connection.quiet_for();
        tokio::select! {
            _ = &mut served => break,
            _ = connection.closing.notified() => break,
            _ = tokio::time::sleep(IDLE_TIMEOUT.saturating_sub(quiet)) => {
                if connection.quiet_for() >= IDLE_TIMEOUT {
                    break;
                }
            }
        }
    }
    shared.connections.forget(connection.id);
}

async fn respond(
    shared: &Shared,
    request: Request<hyper::body::Incoming>,
    busy: Busy,
) -> Response<ResponseBody> {
    let method = request.method();
    if method != Method::GET && method != Method::HEAD {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "GET and HEAD only\n");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let head = method == Method::HEAD;
    let path = request.uri().path();
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = match path.strip_prefix(script::PREFIX) {
        Some("live.js") => file(
            StatusCode::OK,
            Bytes::from_static(script::LIVE_JS.as_bytes()),
            "text/javascript; charset=utf-8",
        ),
        Some("events") => return events(shared.live.listen(), busy, head),
        Some("state") => {
            let page = request
                .uri()
                .query()
                .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("page=")))
                .map(percent_decode)
                .unwrap_or_default();
            file(
                StatusCode::OK,
                Bytes::from(shared.live.state_of(&page)),
                "application/json",
            )
        }
        _ => site_file(shared, path, request.uri().query()).await,
    };
    finish(response, if_none_match.as_ref(), head)
}

/// What a URL path of the site answers.
async fn site_file(shared: &Shared, path: &str, query: Option<&str>) -> Response<ResponseBody> {
    match resolve(&shared.site, path) {
        Target::File(file) => {
            // Taken before the file is read: a build that ends in between then counts as
            // missed, and the page reloads once its script connects.
            let served = shared.live.served();
            match tokio::fs::read(&file).await {
                Ok(bytes) => page(StatusCode::OK, &file, bytes, &served),
                Err(_) => not_found(shared).await,
            }
        }
        Target::Directory => {
            // Pages link relatively: /incidents/x must become /incidents/x/.
            let location = match query {
                Some(query) => format!("{path}/?{query}"),
                None => format!("{path}/"),
            };
            let mut response = text(StatusCode::MOVED_PERMANENTLY, "");
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        Target::Missing => not_found(shared).await,
    }
}

async fn not_found(shared: &Shared) -> Response<ResponseBody> {
    if !shared.live.has_site() {
        return file(
            StatusCode::SERVICE_UNAVAILABLE,
            Bytes::from(script::placeholder(&shared.live.served())),
            "text/html; charset=utf-8",
        );
    }
    let page = shared.site.join("404.html");
    let served = shared.live.served().of_file("404.html");
    match tokio::fs::read(&page).await {
        Ok(bytes) => self::page(StatusCode::NOT_FOUND, &page, bytes, &served),
        Err(_) => text(StatusCode::NOT_FOUND, "Not found\n"),
    }
}

/// A file of the site, with the live-reload script when it is HTML.
fn page(status: StatusCode, path: &Path, bytes: Vec<u8>, served: &script::Served) -> Response<ResponseBody> {
    let kind = content_type(path);
    let bytes = match kind.starts_with("text/html") {
        true => script::inject(bytes, served),
        false => bytes,
    };
    file(status, Bytes::from(bytes), &kind)
}

fn file(status: StatusCode, bytes: Bytes, content_type: &str) -> Response<ResponseBody> {
    let mut response = Response::new(Either::Left(Full::new(bytes.clone())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&etag(&bytes)) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    response
}

fn text(status: StatusCode, body: &'static str) -> Response<ResponseBody> {
    let mut response = Response::new(Either::Left(Full::new(Bytes::from_static(body.as_bytes()))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The headers every answer shares; 304 when the browser has the bytes; no body for HEAD.
fn finish(
    mut response: Response<ResponseBody>,
    if_none_match: Option<&HeaderValue>,
    head: bool,
) -> Response<ResponseBody> {
    // Always ask again (cheap: a 304) so that a rebuilt page is never taken from a cache.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let unchanged = response.status() == StatusCode::OK
        && match (response.headers().get(header::ETAG), if_none_match) {
            (Some(etag), Some(wanted)) => wanted.to_str().is_ok_and(|wanted| {
                wanted
                    .split(',')
                    .map(|tag| tag.trim().trim_start_matches("W/"))
                    .any(|tag| tag == "*" || etag.as_bytes() == tag.as_bytes())
            }),
            _ => false,
        };
    if unchanged {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response.headers_mut().remove(header::CONTENT_LENGTH);
        *response.body_mut() = Either::Left(Full::new(Bytes::new()));
    } else if head {
        // Content-Length stays: HEAD says how long the body would be.
        *response.body_mut() = Either::Left(Full::new(Bytes::new()));
    }
    response
}

fn etag(bytes: &[u8]) -> String {
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write(bytes);
    hasher.write_usize(bytes.len());
    format!("\"{:016x}\"", hasher.finish())
}

fn content_type(path: &Path) -> String {
    let guess = mime_guess::from_path(path).first_or_octet_stream();
    let textual = guess.type_() == mime_guess::mime::TEXT
        || guess.subtype() == "javascript"
        || guess.subtype() == mime_guess::mime::XML
        || guess.suffix() == Some(mime_guess::mime::XML);
    match textual {
        true => format!("{guess}; charset=utf-8"),
        false => guess.to_string(),
    }
}

/// The live-reload event stream of one page.
fn events(listener: mpsc::Receiver<Bytes>, busy: Busy, head: bool) -> Response<ResponseBody> {
    let mut response = Response::new(Either::Right(Events {
        listener,
        _busy: busy,
    }));
    if head {
        *response.body_mut() = Either::Left(Full::new(Bytes::new()));
    }
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A body that is whatever `Live` sends a page, as it comes.
pub struct Events {
    listener: mpsc::Receiver<Bytes>,
    /// An open stream is a connection in use, never one to close for room.
    _busy: Busy,
}

impl Body for Events {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.listener
            .poll_recv(cx)
            .map(|event| event.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// What a URL path names in the site folder.
#[derive(Debug, PartialEq)]
enum Target {
    File(PathBuf),
    /// A folder asked for without its trailing slash.
    Directory,
    Missing,
}

/// The file for a URL path: percent-decoded, never outside `site` (no `..`, no symlink
/// that leads out), a folder's `index.html`.
fn resolve(site: &Path, path: &str) -> Target {
    let decoded = percent_decode(path);
    let relative = Path::new(decoded.trim_start_matches('/'));
    if decoded.contains('\0') || relative.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Target::Missing;
    }
    let mut file = site.join(relative);
    if file.is_dir() {
        if !path.ends_with('/') {
            return Target::Directory;
        }
        file = file.join("index.html");
    }
    match (file.canonicalize(), site.canonicalize()) {
        (Ok(real), Ok(site)) if real.starts_with(&site) && real.is_file() => Target::File(real),
        _ => Target::Missing,
    }
}

/// Milliseconds since the server's clock started (for the connections' last traffic).
fn now() -> u64 {
    static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);
    EPOCH.elapsed().as_millis() as u64
}

/// The open connections, oldest first.
#[derive(Default)]
struct Connections {
    open: Mutex<BTreeMap<u64, Arc<Connection>>>,
    next: AtomicU64,
}

struct Connection {
    id: u64,
    /// Requests being answered, event streams included.
    busy: AtomicUsize,
    /// When bytes last went either way ([`now`]).
    last_traffic: AtomicU64,
    closing: Notify,
}

impl Connections {
    /// A slot for a new connection: beyond the limit, the oldest idle one is closed for
    /// it; `None` when every one is busy.
    fn admit(&self) -> Option<Arc<Connection>> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.len() >= MAX_CONNECTIONS {
            let idle = open
                .values()
                .find(|c| c.busy.load(Ordering::Acquire) == 0)?
                .clone();
            open.remove(&idle.id);
            idle.closing.notify_one();
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let connection = Arc::new(Connection {
            id,
            busy: AtomicUsize::new(0),
            last_traffic: AtomicU64::new(now()),
            closing: Notify::new(),
        });
        open.insert(id, connection.clone());
        Some(connection)
    }

    fn forget(&self, id: u64) {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }
}

impl Connection {
    fn quiet_for(&self) -> Duration {
        Duration::from_millis(now().saturating_sub(self.last_traffic.load(Ordering::Relaxed)))
    }

    fn traffic(&self) {
        self.last_traffic.store(now(), Ordering::Relaxed);
    }
}

/// A request being answered on a connection, for as long as it lives.
struct Busy(Arc<Connection>);

impl Busy {
    fn new(connection: &Arc<Connection>) -> Busy {
        connection.busy.fetch_add(1, Ordering::AcqRel);
        Busy(connection.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection's socket that notes when bytes go either way.
struct Watched {
    stream: TcpStream,
    connection: Arc<Connection>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.connection.traffic();
        }
        read
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.connection.traffic();
        }
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.connection.traffic();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn paths_map_to_files_inside_the_site_and_never_leave_it() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("public");
        fs::create_dir_all(site.join("incidents/a")).unwrap();
        fs::write(site.join("incidents/a/index.html"), "a").unwrap();
        fs::write(site.join("x y.txt"), "x").unwrap();
        fs::write(dir.path().join("secret.txt"), "s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), site.join("out.txt")).unwrap();
        let real = |p: &str| Target::File(site.join(p).canonicalize().unwrap());
        assert_eq!(resolve(&site, "/incidents/a/"), real("incidents/a/index.html"));
        assert_eq!(resolve(&site, "/incidents/a"), Target::Directory);
        assert_eq!(resolve(&site, "/x%20y.txt"), real("x y.txt"));
        for escape in [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/incidents/..%2F..%2Fsecret.txt",
            "/out.txt",
            "/x%00y.txt",
            "/missing/",
        ] {
            assert_eq!(resolve(&site, escape), Target::Missing, "{escape}");
        }
    }

    #[test]
    fn content_types_name_the_charset_of_text() {
        let of = |name: &str| content_type(Path::new(name));
        assert_eq!(of("a.html"), "text/html; charset=utf-8");
        assert_eq!(of("a.css"), "text/css; charset=utf-8");
        assert!(
            of("a.js").ends_with("javascript; charset=utf-8"),
            "{}",
            of("a.js")
        );
        assert_eq!(of("a.json"), "application/json");
        assert_eq!(of("a.svg"), "image/svg+xml; charset=utf-8");
        assert_eq!(of("a.png"), "image/png");
        assert_eq!(of("a.woff2"), "font/woff2");
        assert!(
            of("feed.xml").contains("xml; charset=utf-8"),
            "{}",
            of("feed.xml")
        );
        assert_eq!(of("no-extension"), "application/octet-stream");
    }
}
