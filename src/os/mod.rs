//! Platform-specific parts, shaped like `std::os`.

#![forbid(unsafe_code)]

pub mod unix {
    //! Unix-specific networking: `greenthread::os::unix::net`, like `std::os::unix::net`.

    pub mod net;
}
