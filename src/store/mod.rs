//! File lock, atomic writes, the manifest schema with its state machine and leases,
//! backup/recovery, the progress log and migration of old state files. Must not call providers.
