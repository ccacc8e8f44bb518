//! WiX v3 source -> MSI: parse `.wxs`/`.wxl`, lower each element family to rows, write the package.
