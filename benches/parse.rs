//! Parse throughput of the book readers on Pride and Prejudice in each format.
//! `cargo bench --bench parse`; targets: EPUB < 100 ms, PDF < 1.5 s (release).

use imaginize::book;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Case {
    name: &'static str,
    path: &'static str,
    iterations: usize,
}

const CASES: [Case; 3] = [
    Case {
        name: "EPUB",
        path: "samples/pride-and-prejudice.epub",
        iterations: 20,
    },
    Case {
        name: "PDF",
        path: "tests/fixtures/books/pride-and-prejudice.pdf",
        iterations: 5,
    },
    Case {
        name: "TXT",
        path: "tests/fixtures/books/pride-and-prejudice.txt",
        iterations: 20,
    },
];

fn main() {
    println!(
        "{:<6} {:>6} {:>10} {:>10} {:>9}",
        "format", "iters", "min", "median", "chapters"
    );
    for case in &CASES {
        let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join(case.path);
        let mut times: Vec<Duration> = Vec::with_capacity(case.iterations);
        let mut chapters = 0;
        for _ in 0..case.iterations {
            let start = Instant::now();
            let parsed = book::load(&path);
            times.push(start.elapsed());
            match parsed {
                Ok(b) => chapters = b.story_chapters().count(),
                Err(e) => {
                    eprintln!("{}: {e}", case.name);
                    std::process::exit(1);
                }
            }
        }
        times.sort();
        println!(
            "{:<6} {:>6} {:>10.1?} {:>10.1?} {:>9}",
            case.name,
            case.iterations,
            times[0],
            times[times.len() / 2],
            chapters
        );
    }
}
