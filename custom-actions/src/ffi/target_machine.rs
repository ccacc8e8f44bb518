//! Exports of the target-machine actions (prerequisites, service account, CEIP): one-line shims over the logic modules.
