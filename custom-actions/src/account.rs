//! Service-account validation and the Log-on-as-a-service right (seed step 9).
