//! Migration of old state files (placeholder).
