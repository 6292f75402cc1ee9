//! plugin-avenir
