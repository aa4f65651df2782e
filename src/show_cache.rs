//! `/api/show` answers kept on disk by digest. A digest names one manifest, whose
//! answer never changes, so a second start asks only for digests never seen. One
//! cache serves the dashboard, the keeper and the commands, maybe at the same time.
//!
//! The answers live in one append-only file, `pack`, in the platform cache
//! directory's `show/`: creating 10,000 small files cost more than fetching them.
//! Each record is one line, `\n<digest> <checksum> <json>\n`, added with a single
//! O_APPEND write, so processes appending at once never interleave; the leading
//! newline keeps a record torn by a crash from swallowing the next one, and a line
//! whose checksum fails is skipped. Each process indexes the file once (digest →
//! offset) and reads a record when asked for it; a miss first indexes what others
//! appended since. A file holding much more than its live records is rewritten
//! (temp file + rename) when it is indexed. Files of the older one-file-per-digest
//! layout in the same directory are ignored.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ollama::{Client, ModelDetails, OllamaError, ShowResponse};

/// The pack's name inside the cache directory.
const PACK: &str = "pack";

/// Dead bytes (replaced or torn records) tolerated beyond the live ones before the
/// pack is rewritten.
const SLACK: u64 = 256 << 10;

/// What is kept of an answer: what the fit rules and the details pane read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    details: ModelDetails,
    model_info: Map<String, Value>,
    capabilities: Vec<String>,
    parameters: String,
    /// The Modelfile's `FROM` line (the weights blob), or empty.
    from: String,
}

#[derive(Debug, Clone, Default)]
pub struct ShowCache {
    dir: Option<PathBuf>,
    /// The pack's index, built on first use and shared by this cache's clones (one
    /// per request task).
    pack: Arc<Mutex<Option<Pack>>>,
}

impl ShowCache {
    /// The platform cache directory's `show/`.
    pub fn platform() -> ShowCache {
        let dir = directories::ProjectDirs::from("", "", "model-orchestrator")
            .map(|d| d.cache_dir().join("show"));
        ShowCache {
            dir,
            ..ShowCache::default()
        }
    }

    pub fn at(dir: &Path) -> ShowCache {
        ShowCache {
            dir: Some(dir.to_path_buf()),
            ..ShowCache::default()
        }
    }

    /// A cache that keeps nothing (tests, the demo).
    pub fn none() -> ShowCache {
        ShowCache::default()
    }

    /// The pack and the digest as recorded (lower case); `None` without a
    /// directory or unless the digest is plain hex (it comes from a server).
    fn place(&self, digest: &str) -> Option<(PathBuf, String)> {
        let dir = self.dir.as_ref()?;
        valid_digest(digest).then(|| (dir.join(PACK), digest.to_ascii_lowercase()))
    }

    fn lock(&self) -> MutexGuard<'_, Option<Pack>> {
        // A poisoned lock only means a panic elsewhere; the index is still usable.
        self.pack.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, digest: &str) -> Option<ShowResponse> {
        let (path, digest) = self.place(digest)?;
        let mut guard = self.lock();
        let pack = guard.get_or_insert_with(|| Pack::load(&path));
        let entry = match pack.read(&digest) {
            Some(e) => e,
            None => {
                pack.refresh(&path);
                pack.read(&digest)?
            }
        };
        Some(ShowResponse {
            details: entry.details,
            model_info: entry.model_info,
            capabilities: entry.capabilities,
            parameters: entry.parameters,
            modelfile: entry.from,
            modified_at: None,
        })
    }

    /// Keeps `show` for `digest`; failures only cost a later request.
    pub fn put(&self, digest: &str, show: &ShowResponse) {
        let Some((path, digest)) = self.place(digest) else {
            return;
        };
        let from = show
            .modelfile
            .lines()
            .find(|l| l.trim_start().starts_with("FROM "))
            .unwrap_or("")
            .to_string();
        let entry = Entry {
            details: show.details.clone(),
            model_info: show.model_info.clone(),
            capabilities: show.capabilities.clone(),
            parameters: show.parameters.clone(),
            from,
        };
        let Ok(json) = serde_json::to_string(&entry) else {
            return;
        };
        let _ = append(&path, record(&digest, &json).as_bytes());
    }

    /// The answer for `name` (whose manifest digest is `digest`): from disk when
    /// seen before, else from the server, then kept.
    pub async fn show(
        &self,
        client: &Client,
        name: &str,
        digest: &str,
    ) -> Result<ShowResponse, OllamaError> {
        if let Some(hit) = self.get(digest) {
            return Ok(hit);
        }
        let show = client.show(name).await?;
        self.put(digest, &show);
        Ok(show)
    }
}

fn valid_digest(digest: &str) -> bool {
    (12..=64).contains(&digest.len()) && digest.bytes().all(|c| c.is_ascii_hexdigit())
}

/// One record, newlines included: see the module's comment.
fn record(digest: &str, json: &str) -> String {
    format!("\n{digest} {:016x} {json}\n", checksum(digest, json))
}

/// FNV-1a over the digest and the answer: catches torn and damaged lines.
fn checksum(digest: &str, json: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in digest.as_bytes().iter().chain(b" ").chain(json.as_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The digest and answer of an intact record line (without its newlines).
fn check(line: &[u8]) -> Option<(&str, &str)> {
    let text = std::str::from_utf8(line).ok()?;
    let (digest, rest) = text.split_once(' ')?;
    let (sum, json) = rest.split_once(' ')?;
    let sum = u64::from_str_radix(sum, 16).ok()?;
    (valid_digest(digest) && sum == checksum(digest, json)).then_some((digest, json))
}

fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = OpenOptions::new().append(true).create(true).open(path)?;
    // One write call: with O_APPEND it lands whole at the end, whoever else appends.
    file.write_all(bytes)
}

/// Where each digest's latest record is in the pack.
#[derive(Debug, Default)]
struct Pack {
    /// The file indexed, kept open: its offsets stay right even after another
    /// process replaced the file with a compacted one.
    file: Option<File>,
    /// Digest → offset and length of its record's line (without newlines).
    index: HashMap<String, (u64, usize)>,
    /// How far `file` is indexed: just past its last complete line.
    end: u64,
    /// Bytes of the records in `index`, newlines included.
    live: u64,
}

impl Pack {
    /// Indexes the pack at `path`, rewriting it first when mostly dead.
    fn load(path: &Path) -> Pack {
        let mut pack = Pack::open(path);
        let size = pack
            .file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map(|m| m.len());
        if size.is_some_and(|s| s > 2 * pack.live + SLACK) {
            // Failing leaves the pack as it was, still readable.
            if pack.compact(path).is_ok() {
                pack = Pack::open(path);
            }
        }
        pack
    }

    fn open(path: &Path) -> Pack {
        let mut pack = Pack {
            file: File::open(path).ok(),
            ..Pack::default()
        };
        pack.scan();
        pack
    }

    /// Indexes the complete lines added since the last scan, a buffer at a time
    /// (a pack of 10,000 answers is megabytes). A line still being written (no
    /// newline yet) waits for the next scan.
    fn scan(&mut self) {
        let Some(file) = self.file.as_mut() else {
            return;
        };
        if file.seek(SeekFrom::Start(self.end)).is_err() {
            return;
        }
        let mut reader = BufReader::with_capacity(64 << 10, file);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(n) if n > 0 && line.last() == Some(&b'\n') => {}
                _ => return,
            }
            let body = &line[..line.len() - 1];
            if let Some((digest, _)) = check(body) {
                let old = self
                    .index
                    .insert(digest.to_string(), (self.end, body.len()));
                if let Some((_, len)) = old {
                    self.live -= len as u64 + 2;
                }
                self.live += body.len() as u64 + 2;
            }
            self.end += line.len() as u64;
        }
    }

    /// Catches up with what other processes appended; starts over when the file
    /// appeared or was replaced since it was opened.
    fn refresh(&mut self, path: &Path) {
        let Ok(now) = std::fs::metadata(path) else {
            return;
        };
        let same = self
            .file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .is_some_and(|ours| same_file(&ours, &now, self.end));
        if same {
            self.scan();
        } else {
            *self = Pack::open(path);
        }
    }

    fn line(&mut self, at: u64, len: usize) -> Option<Vec<u8>> {
        let file = self.file.as_mut()?;
        let mut line = vec![0; len];
        file.seek(SeekFrom::Start(at)).ok()?;
        file.read_exact(&mut line).ok()?;
        Some(line)
    }

    fn read(&mut self, digest: &str) -> Option<Entry> {
        let &(at, len) = self.index.get(digest)?;
        let line = self.line(at, len)?;
        let (d, json) = check(&line)?;
        if d != digest {
            return None;
        }
        serde_json::from_str(json).ok()
    }

    /// Writes the live records to a new file and puts it in place of the pack. A
    /// record another process appends meanwhile is lost: one request more later.
    fn compact(&mut self, path: &Path) -> std::io::Result<()> {
        let dir = path
            .parent()
            .ok_or_else(|| std::io::Error::other("no directory"))?;
        let mut spans: Vec<(u64, usize)> = self.index.values().copied().collect();
        spans.sort_unstable();
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        let mut out = BufWriter::with_capacity(64 << 10, &mut tmp);
        for (at, len) in spans {
            let line = self
                .line(at, len)
                .ok_or_else(|| std::io::Error::other("record unreadable"))?;
            out.write_all(b"\n")?;
            out.write_all(&line)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        drop(out);
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Whether `path`'s metadata `now` is still the file opened as `ours`.
#[cfg(unix)]
fn same_file(ours: &std::fs::Metadata, now: &std::fs::Metadata, _end: u64) -> bool {
    use std::os::unix::fs::MetadataExt;
    (ours.dev(), ours.ino()) == (now.dev(), now.ino())
}

/// Without inode numbers: a file shorter than what was indexed was replaced.
#[cfg(not(unix))]
fn same_file(_ours: &std::fs::Metadata, now: &std::fs::Metadata, end: u64) -> bool {
    now.len() >= end
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "46e0c10c039e019119339687c3c1757cc81b9da49709a3b3924863ba87ca666e";

    fn answer() -> ShowResponse {
        let text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/show-llama3.1.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture");
        serde_json::from_str(&text).expect("parses")
    }

    fn digest(i: usize) -> String {
        format!("{i:064x}")
    }

    /// An answer told apart from the others by its parameters.
    fn answer_no(i: usize) -> ShowResponse {
        ShowResponse {
            parameters: format!("num_ctx {i}"),
            ..answer()
        }
    }

    fn pack_len(dir: &Path) -> u64 {
        std::fs::metadata(dir.join(PACK)).expect("pack").len()
    }

    #[test]
    fn an_answer_comes_back_with_the_same_architecture() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = ShowCache::at(dir.path());
        assert!(cache.get(DIGEST).is_none());
        let show = answer();
        cache.put(DIGEST, &show);
        let back = cache.get(DIGEST).expect("kept");
        assert_eq!(back.architecture(), show.architecture());
        assert_eq!(back.capabilities, show.capabilities);
        // Upper-case digests name the same record; a fresh process reads it too.
        let again = ShowCache::at(dir.path());
        let upper = again.get(&DIGEST.to_ascii_uppercase()).expect("kept");
        assert_eq!(upper.architecture(), show.architecture());
        // Many answers, one file.
        for i in 0..50 {
            cache.put(&digest(i), &answer_no(i));
        }
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
        assert_eq!(
            cache.get(&digest(49)).expect("kept").parameters,
            "num_ctx 49"
        );
    }

    #[test]
    fn corrupt_entries_and_odd_digests_are_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = ShowCache::at(dir.path());
        // A file of the older layout is not read.
        std::fs::write(dir.path().join("abcdefabcdef.json"), "{not json").expect("write");
        assert!(cache.get("abcdefabcdef").is_none());
        // A digest from a server never names a path outside the cache.
        cache.put("../../etc/passwd", &answer());
        assert!(cache.get("../../etc/passwd").is_none());
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
        assert!(ShowCache::none().get("abcdefabcdef").is_none());
        ShowCache::none().put("abcdefabcdef", &answer());
    }

    #[test]
    fn what_another_process_appends_is_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (ours, theirs) = (ShowCache::at(dir.path()), ShowCache::at(dir.path()));
        ours.put(&digest(1), &answer_no(1));
        // Both have indexed the pack before the other appends.
        assert!(theirs.get(&digest(1)).is_some());
        assert!(ours.get(&digest(2)).is_none());
        theirs.put(&digest(2), &answer_no(2));
        assert_eq!(ours.get(&digest(2)).expect("seen").parameters, "num_ctx 2");
        // A clone shares the index; a new instance reads everything.
        assert!(ours.clone().get(&digest(2)).is_some());
        let fresh = ShowCache::at(dir.path());
        assert_eq!(fresh.get(&digest(1)).expect("kept").parameters, "num_ctx 1");
    }

    #[test]
    fn writers_at_the_same_time_do_not_interleave() {
        let dir = tempfile::tempdir().expect("tempdir");
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let cache = ShowCache::at(dir.path());
                std::thread::spawn(move || {
                    for i in 0..100 {
                        cache.put(&digest(w * 1000 + i), &answer_no(w * 1000 + i));
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().expect("writer");
        }
        let cache = ShowCache::at(dir.path());
        for w in 0..4 {
            for i in 0..100 {
                let n = w * 1000 + i;
                let back = cache.get(&digest(n)).expect("every record intact");
                assert_eq!(back.parameters, format!("num_ctx {n}"));
            }
        }
    }

    #[test]
    fn a_torn_or_damaged_record_is_skipped_and_the_rest_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = ShowCache::at(dir.path());
        for i in 0..3 {
            cache.put(&digest(i), &answer_no(i));
        }
        let path = dir.path().join(PACK);
        let mut bytes = std::fs::read(&path).expect("pack");
        // Damage record 1: one byte of its answer changed, still valid JSON.
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        let at = text.find("num_ctx 1").expect("record 1") + "num_ctx ".len();
        bytes[at] = b'7';
        // A record torn by a crash (no newline), then one appended after it.
        bytes.extend_from_slice(format!("\n{} 0123456789abcdef {{\"deta", digest(3)).as_bytes());
        std::fs::write(&path, &bytes).expect("write");
        cache.put(&digest(4), &answer_no(4));
        let fresh = ShowCache::at(dir.path());
        assert!(fresh.get(&digest(1)).is_none(), "damaged record read");
        assert!(fresh.get(&digest(3)).is_none(), "torn record read");
        for i in [0, 2, 4] {
            let back = fresh.get(&digest(i)).expect("intact record");
            assert_eq!(back.parameters, format!("num_ctx {i}"));
        }
        // The damaged answer is asked for again and kept anew.
        fresh.put(&digest(1), &answer_no(1));
        assert_eq!(fresh.get(&digest(1)).expect("kept").parameters, "num_ctx 1");
        // A file cut in the middle of its last record.
        let len = pack_len(dir.path());
        let file = OpenOptions::new().write(true).open(&path).expect("open");
        file.set_len(len - 20).expect("truncate");
        let cut = ShowCache::at(dir.path());
        assert!(cut.get(&digest(1)).is_none());
        assert!(cut.get(&digest(4)).is_some());
    }

    #[test]
    fn a_mostly_dead_pack_is_compacted_keeping_every_live_answer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = ShowCache::at(dir.path());
        cache.put(&digest(1), &answer_no(1));
        cache.put(&digest(2), &answer_no(2));
        let live = pack_len(dir.path());
        // Indexed before the file is replaced.
        assert!(cache.get(&digest(1)).is_some());
        // The same digest written again and again (a record per write).
        let mut n = 0;
        // Past the bound for three live records (each about half of `live`).
        while pack_len(dir.path()) <= 4 * live + SLACK {
            cache.put(&digest(3), &answer_no(n));
            n += 1;
        }
        cache.put(&digest(3), &answer_no(n));
        let grown = pack_len(dir.path());
        let fresh = ShowCache::at(dir.path());
        assert_eq!(
            fresh.get(&digest(3)).expect("kept").parameters,
            format!("num_ctx {n}")
        );
        assert!(
            pack_len(dir.path()) < grown / 10,
            "{} of {grown}",
            pack_len(dir.path())
        );
        for i in 1..=2 {
            let back = fresh.get(&digest(i)).expect("live answer kept");
            assert_eq!(back.parameters, format!("num_ctx {i}"));
        }
        // The old instance still reads its answers, and sees new appends after the
        // file was replaced.
        assert!(cache.get(&digest(1)).is_some());
        fresh.put(&digest(9), &answer_no(9));
        assert_eq!(cache.get(&digest(9)).expect("seen").parameters, "num_ctx 9");
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    }

    #[test]
    fn an_unusable_directory_only_costs_the_caching() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A directory below a plain file can be neither created nor written, even
        // by root (for whom a read-only mode means nothing).
        let file = dir.path().join("file");
        std::fs::write(&file, "").expect("write");
        let cache = ShowCache::at(&file.join("show"));
        cache.put(DIGEST, &answer());
        assert!(cache.get(DIGEST).is_none());
    }
}
