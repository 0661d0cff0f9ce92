//! Embeds every `entries/*.toml` file: writes `$OUT_DIR/builtin_entries.rs`, a table of
//! `(file name, include_str!(…))` pairs sorted by file name, so adding an application to the
//! gallery is adding a file, with no change to Rust code.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs, io};

fn main() -> io::Result<()> {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or_else(missing)?);
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or_else(missing)?);
    let entries = manifest_dir.join("entries");
    // A directory makes cargo rerun the script when any file in it is added, removed or edited.
    println!("cargo:rerun-if-changed=entries");
    println!("cargo:rerun-if-changed=build.rs");

    let mut files = Vec::new();
    for item in fs::read_dir(&entries)? {
        let path = item?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
    files.sort();

    let mut code = String::from(
        "/// Built-in entry files: (file name relative to the crate, contents).\n\
         pub(crate) static BUILTIN_ENTRIES: &[(&str, &str)] = &[\n",
    );
    for path in &files {
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| io::Error::other(format!("{} is not UTF-8", path.display())))?;
        let absolute = path
            .to_str()
            .ok_or_else(|| io::Error::other(format!("{} is not UTF-8", path.display())))?;
        let _ = writeln!(
            code,
            "    ({:?}, include_str!({:?})),",
            format!("entries/{file_name}"),
            absolute
        );
    }
    code.push_str("];\n");
    fs::write(out_dir.join("builtin_entries.rs"), code)
}

fn missing() -> io::Error {
    io::Error::other("cargo did not set CARGO_MANIFEST_DIR / OUT_DIR")
}
