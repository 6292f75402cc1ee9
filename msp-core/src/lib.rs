//! msp-core
