//! What calls cost, as the state records it per chapter: tokens and images. Defined here, where
//! it is kept; providers report it.

use serde::{Deserialize, Serialize};

/// Tokens and images a call used, summed into the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub images: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.images += other.images;
    }
}
