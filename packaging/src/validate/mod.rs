//! ICE-style validation of any MSI database, without Windows.
