# pmsite in a small image: `docker run --rm -v "$PWD:/site" IMAGE build`.
# Built in full Rust, shipped on distroless (glibc and libgcc only, no shell): about 30 MB.
FROM rust:1.90-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/pmsite

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/pmsite /usr/local/bin/pmsite
WORKDIR /site
ENTRYPOINT ["/usr/local/bin/pmsite"]
CMD ["--help"]
