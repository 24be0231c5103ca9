//! Section: the balanced workload split over processes on one output folder, as a user runs it
//! across terminals or machines: `imaginize --text` and `imaginize --images` started together,
//! the manifest their only channel. Measures the hand-off across processes (target p99 ≤ 1.5 s).

use super::{
    BALANCED, Cost, Measured, REPO, Stage, Workload, measure, percentile, print_heading,
    print_table, run_workload, spawn_binary, wait_binary,
};
use std::path::{Path, PathBuf};

/// How the `--images` side is split: processes × `--image-jobs` each (4 image slots in all).
const SPLITS: [(usize, usize); 2] = [(1, 4), (2, 2)];

pub fn processes_section(rt: &tokio::runtime::Runtime) {
    let book = PathBuf::from(REPO).join("samples/pride-and-prejudice.epub");
    println!("\n== Processes: {} ==", book.display());
    let w = BALANCED;
    let one_process = run_workload(rt, &book, &w, "--concurrent");
    for (processes, image_jobs) in SPLITS {
        let split = run_split(rt, &book, &w, processes, image_jobs);
        print_heading(&w);
        println!(
            "`--text` in one process, `--images` in {processes} process(es) with --image-jobs \
             {image_jobs} each (compared with both in one process)"
        );
        let label = format!("{processes} + 1 processes");
        print_table(("one process", &label), &one_process, &split);
        verdicts(&split);
    }
}

/// One `--text` process and `processes` `--images` processes, started at the same instant.
fn run_split(
    rt: &tokio::runtime::Runtime,
    book: &Path,
    w: &Workload,
    processes: usize,
    image_jobs: usize,
) -> Measured {
    let stage = Stage::new(rt, w);
    let args = |mode: &str| stage.args(book, w.jobs, image_jobs, mode);
    let text = spawn_binary(stage.dir.path(), &args("--text"), "text");
    let images: Vec<_> = (0..processes)
        .map(|i| spawn_binary(stage.dir.path(), &args("--images"), &format!("images{i}")))
        .collect();
    let mut costs = vec![wait_binary(text)];
    costs.extend(images.into_iter().map(wait_binary));
    let commits = stage.counter.get();
    measure(
        combined(&costs),
        &stage.server.entries(),
        &stage.out,
        w.jobs,
        processes * image_jobs,
        commits,
    )
}

/// The processes as one run: first start to last exit, CPU summed, the largest RSS, the worst
/// exit code.
fn combined(costs: &[Cost]) -> Cost {
    Cost {
        t0_ms: costs.iter().map(|c| c.t0_ms).fold(f64::INFINITY, f64::min),
        t1_ms: costs.iter().map(|c| c.t1_ms).fold(0.0, f64::max),
        cpu_s: costs.iter().map(|c| c.cpu_s).sum(),
        max_rss_kb: costs.iter().map(|c| c.max_rss_kb).max().unwrap_or(0),
        exit: costs.iter().map(|c| c.exit).max().unwrap_or(-1),
    }
}

fn verdicts(split: &Measured) {
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    let ratio = split.cost.wall_ms() / split.bound();
    println!(
        "target processes <= 1.10 x bound: {ratio:.3} -> {}",
        met(ratio <= 1.10)
    );
    if let Some(p99) = percentile(&split.handoff_idle, 99.0) {
        println!(
            "target hand-off p99 <= 1.5 s across processes (idle illustrator): {p99:.0} ms -> {}",
            met(p99 <= 1500.0)
        );
    }
    println!(
        "duplicates (image / text): {} / {} -> {}",
        split.duplicate_images,
        split.duplicate_text,
        met(split.duplicate_images == 0)
    );
}
