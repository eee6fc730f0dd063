//! An rpath to the libpython the runtime links, for the test binaries that
//! embed an app in-process (`prebake::app!`).

fn main() {
    if let Ok(dir) = std::env::var("DEP_PREBAKE_LIBPYTHON_DIR") {
        println!("cargo:rustc-link-arg-tests=-Wl,-rpath,{dir}");
    }
}
