//! The release bundle: a zip of the MSI, SHA256SUMS, the silent-install guide and the support files.
