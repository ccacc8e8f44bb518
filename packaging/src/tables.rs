//! The standard Windows Installer table definitions the backend writes (columns as in the MSI SDK).
