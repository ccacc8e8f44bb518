//! Prerequisite evaluation and installation planning (seed step 7).
