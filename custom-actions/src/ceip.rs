//! Customer Experience Improvement Program: detect a previous choice and persist CEIP_OPTIN (seed step 6).
