//! Every exit code imaginize returns, in one place.

/// Everything asked for was done.
pub const SUCCESS: i32 = 0;
/// The run finished but some chapters failed (they are listed), or an operation failed.
pub const FAILURE: i32 = 1;
/// Bad flags, bad configuration or bad input: nothing was done.
pub const USAGE: i32 = 2;
/// The provider refused the API key; state is intact, fix the key and re-run.
pub const AUTH: i32 = 3;
/// Another imaginize holds the output folder's lock.
pub const LOCKED: i32 = 4;
/// Some selected chapters are left to other live workers (`--no-wait`): they finish them.
pub const LEFT_TO_OTHERS: i32 = 5;
/// The review loop could not claim the chapter: another live imaginize is illustrating it.
pub const BUSY: i32 = 6;
/// Stopped by SIGHUP (the terminal went away); state is consistent and a re-run continues.
pub const HUNG_UP: i32 = 129;
/// Stopped by Ctrl-C; state is consistent and a re-run continues.
pub const INTERRUPTED: i32 = 130;
/// Stopped by SIGTERM (`kill`, systemd, Docker); state is consistent and a re-run continues.
pub const TERMINATED: i32 = 143;
