//! The product configuration (`wix/product.toml`): typed, validated, with errors naming the key.
