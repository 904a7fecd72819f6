//! What calls cost: the built-in model price table (trimmed from LiteLLM's,
//! see `data/`), model-name resolution as LiteLLM does it, per-deployment
//! price overrides, and the dollar cost of one call from its usage.

mod cost;
mod table;

pub use cost::{PriceOverride, cost};
pub use table::{ModelPrice, PriceTable};
