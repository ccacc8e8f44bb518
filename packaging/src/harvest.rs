//! Payload harvesting: every file of a payload folder becomes Directory/Component/File entries with deterministic ids and GUIDs.
