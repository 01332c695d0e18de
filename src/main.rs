// Building a site allocates millions of small strings from many threads (Markdown events,
// template values, index tokens); glibc's malloc spent ~15% of a 10k-postmortem build in
// malloc/free. mimalloc is a drop-in allocator built for that pattern.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(pmsite::cli::run(std::env::args_os()));
}
