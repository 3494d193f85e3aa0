//! Reading files a user names (IO, a leaf): rota files, the holiday
//! calendars they include, config files. Only regular files are read (not
//! `/dev/zero`, a FIFO or a directory), and only up to a size limit, so a
//! mistaken or hostile path cannot make Vigil read without end.

use std::io::Read;
use std::path::Path;

/// The file at `path` as text, if it is a regular file of at most `max` bytes.
pub fn read_text(path: &Path, max: u64) -> Result<String, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown}: not a regular file"));
    }
    if meta.len() > max {
        return Err(format!("{shown}: larger than {max} bytes"));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(|e| format!("{shown}: {e}"))?
        .take(max + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("{shown}: {e}"))?;
    if text.len() as u64 > max {
        return Err(format!("{shown}: larger than {max} bytes"));
    }
    Ok(text)
}

/// `read_text` with the rota file limit.
pub fn read_rota_file(path: &Path) -> Result<String, String> {
    read_text(path, crate::rota::file::limits::MAX_FILE_BYTES)
}
