//! One large CSV file read as parts on several threads, joined by the core into the report one
//! pass gives (`Analysis::join_parts`); anything else, and any part that does not verify, is
//! read in one pass.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

use sendas_core::ingest::split::{Splitter, SPLIT_WINDOW};
use sendas_core::{Analysis, SourceMeta};

/// Bytes read from the start to find the head (the header must be whole in them).
const HEAD_BYTES: u64 = 1 << 20;

/// Bytes a part's thread reads at a time: a quarter of the one-pass reader's buffer, since
/// there is one per thread (8 threads, 1M records: 79 MB max RSS instead of 84.5), and reads of
/// this size still cost no more time.
const PART_READ_BUFFER: usize = crate::READ_BUFFER / 4;

/// How many threads read: `--threads N`, else every core.
pub(crate) fn thread_count(asked: Option<usize>) -> usize {
    asked.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)).max(1)
}

/// Reads the file at `path` (`size` bytes when opened) as up to `threads` parts at once, into
/// an analysis of this one input made with `like`'s settings. `None` when it is not read so:
/// too small, not a CSV the splitter cuts, a read failed, or the join refused (the caller then
/// reads it in one pass, which also says what went wrong, if anything did). `read` is told of
/// every chunk's bytes and records, from any thread.
pub(crate) fn read_in_parts(
    like: &Analysis,
    path: &Path,
    meta: &SourceMeta,
    size: u64,
    threads: usize,
    read: &(dyn Fn(u64, u64) + Sync),
) -> Option<Analysis> {
    if threads < 2 {
        return None;
    }
    let mut file = File::open(path).ok()?;
    // A file that changes while its parts are read (it grows, say) would give another report
    // than one pass: checked again after the join.
    let stamp = || std::fs::metadata(path).ok().map(|m| (m.len(), m.modified().ok()));
    let before = stamp().filter(|(len, _)| *len == size)?;
    let head = read_range(&mut file, 0..HEAD_BYTES.min(size)).ok()?;
    let splitter = Splitter::new(&head)?;
    let mut cuts = Vec::new();
    for point in splitter.cut_points(size, threads) {
        let window = read_range(&mut file, point..(point + SPLIT_WINDOW as u64).min(size)).ok()?;
        if let Some(at) = splitter.boundary_in(&window) {
            cuts.push(point + at as u64);
        }
    }
    let ranges = splitter.parts(size, cuts);
    if ranges.len() < 2 {
        return None;
    }
    let head = &head[..splitter.head_len()];
    let last = ranges.len() - 1;
    let parts: Vec<Option<Analysis>> = std::thread::scope(|scope| {
        let running: Vec<_> = ranges
            .into_iter()
            .enumerate()
            .map(|(i, range)| {
                let mut analysis = like.with_same_settings();
                scope.spawn(move || {
                    read_part(&mut analysis, path, meta, head, range, i == 0, i == last, read).ok()?;
                    Some(analysis)
                })
            })
            .collect();
        running.into_iter().map(|part| part.join().ok().flatten()).collect()
    });
    let parts: Option<Vec<Analysis>> = parts.into_iter().collect();
    let joined = Analysis::join_parts(parts?).ok()?;
    (stamp() == Some(before)).then_some(joined)
}

/// Reads one part into `analysis`: from the input's start (`first`) or after `head`.
#[allow(clippy::too_many_arguments)]
fn read_part(
    analysis: &mut Analysis,
    path: &Path,
    meta: &SourceMeta,
    head: &[u8],
    range: Range<u64>,
    first: bool,
    last: bool,
    read: &(dyn Fn(u64, u64) + Sync),
) -> io::Result<()> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(range.start))?;
    let mut reader = match first {
        true => analysis.start_source(meta.clone()),
        false => analysis.start_part(meta.clone(), head).ok_or_else(|| io::Error::other("the head does not prime"))?,
    };
    let mut buffer = vec![0; PART_READ_BUFFER];
    let mut left = range.end - range.start;
    while left > 0 {
        let want = buffer.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = match file.read(&mut buffer[..want]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        left -= n as u64;
        let rows = reader.stats().rows_read;
        let pushed = reader.push(&buffer[..n]);
        read(n as u64, reader.stats().rows_read - rows);
        if pushed.is_err() {
            return Err(io::Error::other("the part is unusable"));
        }
    }
    match last {
        true => drop(reader.finish()),
        false => reader.finish_part(),
    }
    Ok(())
}

/// The bytes of `range` (fewer if the file is shorter).
fn read_range(file: &mut File, range: Range<u64>) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(range.start))?;
    let mut bytes = Vec::new();
    file.take(range.end - range.start).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sendas_core::display::to_json;
    use sendas_core::ingest::split::MIN_PART_BYTES;
    use sendas_core::ingest::Format;

    /// A Purview export of a little over `parts` minimum parts, with rows repeated across parts
    /// and broken rows in each.
    fn export(parts: u64) -> Vec<u8> {
        let mut bytes = Vec::new();
        let rows = parts * MIN_PART_BYTES / 1400 + 500;
        sendas_core::generate::write_export(Format::PurviewCsv, rows, 5, &mut bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let (header, body) = text.split_once('\n').unwrap();
        let mut lines: Vec<&str> = body.lines().collect();
        let again: Vec<&str> = lines[..300].to_vec();
        lines.extend(again);
        for i in (11..lines.len()).step_by(997) {
            lines[i] = "a broken row,with the wrong width";
        }
        format!("{header}\n{}\n", lines.join("\n")).into_bytes()
    }

    #[test]
    fn a_file_read_on_several_threads_gives_the_one_pass_report() {
        let path = std::env::temp_dir().join(format!("sendas-lens-parts-{}.csv", std::process::id()));
        std::fs::write(&path, export(3)).unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        let meta = SourceMeta { name: "audit.csv".into(), exported_at: None };
        let read = std::sync::atomic::AtomicU64::new(0);
        let tick = |n: u64, _rows: u64| {
            read.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        };
        let mut whole = Analysis::default();
        whole.read_source(meta.clone(), &std::fs::read(&path).unwrap()).unwrap();
        let whole = whole.finish();
        assert!(whole.summary.duplicates > 290 && whole.summary.rejected > 3, "{:?}", whole.summary);
        for threads in [2, 3, 8] {
            read.store(0, std::sync::atomic::Ordering::Relaxed);
            let parts = read_in_parts(&Analysis::default(), &path, &meta, size, threads, &tick)
                .unwrap_or_else(|| panic!("{threads} threads read it in parts"));
            assert_eq!(read.load(std::sync::atomic::Ordering::Relaxed), size, "every byte read once");
            let parts = parts.finish();
            assert_eq!(parts, whole, "{threads} threads");
            assert_eq!(to_json(&parts.summary, true), to_json(&whole.summary, true));
        }
        // One thread, or a file too small for two parts: one pass.
        assert!(read_in_parts(&Analysis::default(), &path, &meta, size, 1, &tick).is_none());
        std::fs::remove_file(&path).unwrap();
    }
}
