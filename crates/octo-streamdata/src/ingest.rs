//! Bulk ingestion from a byte stream: NDJSON (one row per line) or one JSON array of rows, fed
//! chunk by chunk as it arrives (the body is never held whole), checked row by row against the
//! archive's columns and written in batches of [`BATCH_ROWS`] rows, each batch all-or-nothing.
//!
//! A bad row is reported as `Line N: <reason>.` (N counts lines of the body from 1; for a JSON
//! array it is the line where the row starts) and its whole batch is not written; the batches
//! before and after it are. Memory stays bounded by one batch plus one chunk: a row longer than
//! [`MAX_ROW_BYTES`] is refused rather than buffered.
//!
//! The transport (HTTP in `mcp-http`, files for `import_archive_data`) only calls
//! [`StreamData::start_ingestion`], [`Ingestion::feed`] for each chunk and [`Ingestion::finish`].

use octo_ids::TenantId;
use octo_store::StreamSample;
use serde::Serialize;
use serde_json::Value;

use crate::error::StreamDataError;
use crate::sample::sample_from_json;
use crate::service::{ResolvedArchive, StreamData};

/// Rows per transaction.
pub const BATCH_ROWS: usize = 10_000;
/// The longest row (one NDJSON line or one array element) taken, in bytes.
pub const MAX_ROW_BYTES: usize = 1024 * 1024;
/// Row errors kept in the report; further ones are counted only.
pub const MAX_REPORTED_ERRORS: usize = 20;
/// Rejected batches listed in the report; further ones are counted only.
const MAX_REPORTED_BATCHES: usize = 20;

/// How the rows are laid out in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestFormat {
    /// One JSON row per line (`application/x-ndjson`); blank lines are skipped.
    Ndjson,
    /// One JSON array of rows (`application/json`).
    JsonArray,
    /// Rows the caller has read itself and hands over with [`Ingestion::push_row`] (e.g. the
    /// records of a CSV file).
    Rows,
}

impl IngestFormat {
    /// The format of a `Content-Type` value (parameters such as `charset` ignored); `None` for
    /// any other media type.
    #[must_use]
    pub fn from_content_type(value: &str) -> Option<Self> {
        let media = value.split(';').next().unwrap_or_default().trim();
        if media.eq_ignore_ascii_case("application/json") {
            Some(Self::JsonArray)
        } else if [
            "application/x-ndjson",
            "application/ndjson",
            "application/jsonl",
        ]
        .iter()
        .any(|m| media.eq_ignore_ascii_case(m))
        {
            Some(Self::Ndjson)
        } else {
            None
        }
    }
}

/// The lines of one batch that was not written.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RejectedBatch {
    pub first_line: u64,
    pub last_line: u64,
    pub rows: u64,
}

/// What an ingestion did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IngestReport {
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    pub batches_written: u64,
    pub batches_rejected: u64,
    /// The first batches not written (at most 20), so a client can send those lines again.
    pub rejected_batches: Vec<RejectedBatch>,
    /// The first row errors (at most [`MAX_REPORTED_ERRORS`]), `Line N: reason.`
    pub errors: Vec<String>,
    /// How many row errors there were in all.
    pub error_count: u64,
}

impl IngestReport {
    /// One sentence for a person: what went in, what did not and why.
    #[must_use]
    pub fn summary(&self) -> String {
        if self.rows_rejected == 0 && self.error_count == 0 {
            return format!(
                "{} row(s) accepted in {} batch(es).",
                self.rows_accepted, self.batches_written
            );
        }
        format!(
            "{} row(s) accepted, {} row(s) rejected: {} batch(es) were not written because they \
             held bad rows (a batch of up to {BATCH_ROWS} rows is written all or nothing). Fix \
             the lines named in 'errors' and send the lines of 'rejectedBatches' again.",
            self.rows_accepted, self.rows_rejected, self.batches_rejected
        )
    }
}

/// One batch being filled.
#[derive(Debug, Default)]
struct Batch {
    samples: Vec<StreamSample>,
    rows: u64,
    first_line: u64,
    last_line: u64,
    errors: Vec<String>,
}

/// Splits the byte stream into rows (line number, bytes); structural errors are rows too.
#[derive(Debug)]
enum Splitter {
    Ndjson(NdjsonSplitter),
    Array(ArraySplitter),
    /// The caller reads the rows itself ([`Ingestion::push_row`]).
    Rows,
}

#[derive(Debug, Default)]
struct NdjsonSplitter {
    line: Vec<u8>,
    /// The number of the line being read.
    line_no: u64,
    /// The current line is past [`MAX_ROW_BYTES`]: drop bytes up to its end.
    too_long: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArrayState {
    BeforeArray,
    BeforeElement {
        first: bool,
    },
    InElement,
    AfterElement,
    Done,
    /// A structural error ended the reading; the rest is ignored.
    Broken,
}

#[derive(Debug)]
struct ArraySplitter {
    state: ArrayState,
    line_no: u64,
    element: Vec<u8>,
    element_line: u64,
    depth: i64,
    in_string: bool,
    escaped: bool,
}

/// Something the splitter found.
enum Piece<'a> {
    Row(u64, &'a [u8]),
    /// A row that cannot be read (too long).
    BadRow(u64, String),
    /// The body's structure is broken (not a row of its own).
    Broken(u64, String),
}

impl NdjsonSplitter {
    fn push(&mut self, chunk: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
        let mut rest = chunk;
        while !rest.is_empty() {
            if self.line_no == 0 {
                self.line_no = 1;
            }
            match rest.iter().position(|b| *b == b'\n') {
                Some(end) => {
                    let (head, tail) = rest.split_at(end);
                    self.end_line(head, out);
                    rest = &tail[1..];
                    self.line_no += 1;
                }
                None => {
                    self.append(rest, out);
                    rest = &[];
                }
            }
        }
    }

    fn append(&mut self, bytes: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
        if self.too_long {
            return;
        }
        if self.line.len() + bytes.len() > MAX_ROW_BYTES {
            self.too_long = true;
            self.line.clear();
            out(Piece::BadRow(
                self.line_no,
                format!("the line is longer than {MAX_ROW_BYTES} bytes"),
            ));
            return;
        }
        self.line.extend_from_slice(bytes);
    }

    fn end_line(&mut self, head: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
        if self.line.is_empty() && !self.too_long {
            // The whole line is in this chunk: no copy.
            if head.len() > MAX_ROW_BYTES {
                out(Piece::BadRow(
                    self.line_no,
                    format!("the line is longer than {MAX_ROW_BYTES} bytes"),
                ));
            } else {
                emit_line(self.line_no, head, out);
            }
        } else {
            self.append(head, out);
            if !self.too_long {
                let line = std::mem::take(&mut self.line);
                emit_line(self.line_no, &line, out);
                self.line = line;
            }
        }
        self.line.clear();
        self.too_long = false;
    }

    fn finish(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        if !self.line.is_empty() && !self.too_long {
            let line = std::mem::take(&mut self.line);
            emit_line(self.line_no, &line, out);
        }
    }
}

fn emit_line(line_no: u64, line: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
    let trimmed = line.trim_ascii();
    if !trimmed.is_empty() {
        out(Piece::Row(line_no, trimmed));
    }
}

impl ArraySplitter {
    fn new() -> Self {
        Self {
            state: ArrayState::BeforeArray,
            line_no: 1,
            element: Vec::new(),
            element_line: 1,
            depth: 0,
            in_string: false,
            escaped: false,
        }
    }

    fn broken(&mut self, out: &mut dyn FnMut(Piece<'_>), message: String) {
        self.state = ArrayState::Broken;
        self.element.clear();
        out(Piece::Broken(self.line_no, message));
    }

    fn end_element(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        let element = std::mem::take(&mut self.element);
        out(Piece::Row(self.element_line, element.trim_ascii()));
        self.element = element;
        self.element.clear();
        self.state = ArrayState::AfterElement;
    }

    fn push(&mut self, chunk: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
        for &byte in chunk {
            match self.state {
                ArrayState::Broken => return,
                ArrayState::InElement => {
                    if self.in_string {
                        if self.escaped {
                            self.escaped = false;
                        } else if byte == b'\\' {
                            self.escaped = true;
                        } else if byte == b'"' {
                            self.in_string = false;
                        }
                    } else if self.depth == 0 && (byte == b',' || byte == b']') {
                        self.end_element(out);
                        self.after_element(byte);
                        continue;
                    } else {
                        match byte {
                            b'"' => self.in_string = true,
                            b'{' | b'[' => self.depth += 1,
                            b'}' | b']' => self.depth -= 1,
                            _ => {}
                        }
                    }
                    if self.element.len() >= MAX_ROW_BYTES {
                        let line = self.element_line;
                        self.state = ArrayState::Broken;
                        self.element.clear();
                        out(Piece::BadRow(
                            line,
                            format!(
                                "the row is longer than {MAX_ROW_BYTES} bytes (or a bracket is \
                                 not closed); the rest of the body was not read"
                            ),
                        ));
                        return;
                    }
                    self.element.push(byte);
                }
                ArrayState::BeforeArray => {
                    if byte == b'[' {
                        self.state = ArrayState::BeforeElement { first: true };
                    } else if !byte.is_ascii_whitespace() {
                        self.broken(
                            out,
                            "an application/json body must be one JSON array of rows \
                             [{\"timestamp\", \"rtId\", \"values\"}, …]; send one row per line \
                             as application/x-ndjson otherwise"
                                .to_owned(),
                        );
                        return;
                    }
                }
                ArrayState::BeforeElement { first } => {
                    if byte == b']' && first {
                        self.state = ArrayState::Done;
                    } else if byte == b']' || byte == b',' {
                        self.broken(out, format!("expected a row before '{}'", byte as char));
                        return;
                    } else if !byte.is_ascii_whitespace() {
                        self.state = ArrayState::InElement;
                        self.element_line = self.line_no;
                        self.depth = 0;
                        self.in_string = false;
                        self.escaped = false;
                        match byte {
                            b'"' => self.in_string = true,
                            b'{' | b'[' => self.depth = 1,
                            _ => {}
                        }
                        self.element.push(byte);
                    }
                }
                ArrayState::AfterElement => {
                    if byte == b',' || byte == b']' {
                        self.after_element(byte);
                    } else if !byte.is_ascii_whitespace() {
                        self.broken(out, "expected ',' or ']' after a row".to_owned());
                        return;
                    }
                }
                ArrayState::Done => {
                    if !byte.is_ascii_whitespace() {
                        self.broken(out, "text after the closing ']' of the array".to_owned());
                        return;
                    }
                }
            }
            if byte == b'\n' {
                self.line_no += 1;
            }
        }
    }

    fn after_element(&mut self, byte: u8) {
        self.state = if byte == b',' {
            ArrayState::BeforeElement { first: false }
        } else {
            ArrayState::Done
        };
    }

    fn finish(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        if self.state == ArrayState::InElement && !self.in_string && self.depth == 0 {
            // The last row is whole, only the array is not closed: check the row too.
            self.end_element(out);
            self.state = ArrayState::InElement;
        }
        match self.state {
            ArrayState::Done | ArrayState::Broken => {}
            ArrayState::BeforeArray => self.broken(
                out,
                "the body is empty; send a JSON array of rows [{\"timestamp\", \"rtId\", \
                 \"values\"}, …]"
                    .to_owned(),
            ),
            _ => self.broken(
                out,
                "the body ended before the JSON array was closed with ']'".to_owned(),
            ),
        }
    }
}

/// Where read rows go: checked into the current batch, full batches set aside for writing.
struct Sink<'a> {
    columns: &'a [crate::archive::TableColumn],
    batch_rows: usize,
    batch: &'a mut Batch,
    full: &'a mut Vec<Batch>,
}

impl Sink<'_> {
    fn take(&mut self, piece: Piece<'_>) {
        match piece {
            Piece::Row(line, bytes) => match serde_json::from_slice::<Value>(bytes) {
                Ok(row) => self.take_value(line, &row),
                Err(error) => {
                    self.batch
                        .errors
                        .push(format!("Line {line}: not valid JSON ({error})."));
                    self.count(line, true);
                }
            },
            Piece::BadRow(line, reason) => {
                self.batch.errors.push(format!("Line {line}: {reason}."));
                self.count(line, true);
            }
            Piece::Broken(line, reason) => {
                self.batch.errors.push(format!("Line {line}: {reason}."));
                self.count(line, false);
            }
        }
    }

    fn take_value(&mut self, line: u64, row: &Value) {
        match sample_from_json(self.columns, row) {
            Ok(sample) => self.batch.samples.push(sample),
            Err(reason) => self.batch.errors.push(format!("Line {line}: {reason}.")),
        }
        self.count(line, true);
    }

    fn count(&mut self, line: u64, is_row: bool) {
        let batch = &mut *self.batch;
        if batch.first_line == 0 {
            batch.first_line = line;
        }
        batch.last_line = line;
        if is_row {
            batch.rows += 1;
        }
        if batch.rows as usize >= self.batch_rows {
            self.full.push(std::mem::take(batch));
        }
    }
}

/// An ingestion in progress into one archive; see the module documentation.
#[derive(Debug)]
pub struct Ingestion {
    service: StreamData,
    archive: ResolvedArchive,
    splitter: Splitter,
    batch_rows: usize,
    batch: Batch,
    full: Vec<Batch>,
    report: IngestReport,
}

impl StreamData {
    /// Starts an ingestion into an activated archive (the cascade and the archive's state are
    /// checked here, before any byte is read).
    pub async fn start_ingestion(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
        format: IngestFormat,
    ) -> Result<Ingestion, StreamDataError> {
        let archive = self.writable(tenant, archive_rt_id).await?;
        Ok(Ingestion {
            service: self.clone(),
            archive,
            splitter: match format {
                IngestFormat::Ndjson => Splitter::Ndjson(NdjsonSplitter::default()),
                IngestFormat::JsonArray => Splitter::Array(ArraySplitter::new()),
                IngestFormat::Rows => Splitter::Rows,
            },
            batch_rows: BATCH_ROWS,
            batch: Batch::default(),
            full: Vec::new(),
            report: IngestReport::default(),
        })
    }
}

impl Ingestion {
    /// Rows per transaction instead of [`BATCH_ROWS`] (at least 1).
    #[must_use]
    pub fn with_batch_rows(mut self, rows: usize) -> Self {
        self.batch_rows = rows.max(1);
        self
    }

    /// The archive being written.
    #[must_use]
    pub fn archive(&self) -> &ResolvedArchive {
        &self.archive
    }

    /// What has been done so far (for a report when the transport fails midway).
    #[must_use]
    pub fn report(&self) -> &IngestReport {
        &self.report
    }

    /// Takes the next chunk of the body; writes every batch it completes. `Err` only when the
    /// store fails (bad rows are reported, not returned).
    pub async fn feed(&mut self, chunk: &[u8]) -> Result<(), StreamDataError> {
        self.split(chunk, false);
        self.write_full().await
    }

    /// Ends the body: checks that it was complete and writes the last batch.
    pub async fn finish(mut self) -> Result<IngestReport, StreamDataError> {
        self.split(&[], true);
        let last = std::mem::take(&mut self.batch);
        if last.first_line > 0 {
            self.full.push(last);
        }
        self.write_full().await?;
        Ok(self.report)
    }

    /// Takes one row that the caller has already read (e.g. a CSV record turned into a JSON
    /// row), or the reason it could not be read, found at `line`; writes the batch it
    /// completes.
    pub async fn push_row(
        &mut self,
        line: u64,
        row: Result<Value, String>,
    ) -> Result<(), StreamDataError> {
        let piece = match &row {
            Ok(_) => None,
            Err(reason) => Some(Piece::BadRow(line, reason.clone())),
        };
        let mut sink = Sink {
            columns: &self.archive.columns,
            batch_rows: self.batch_rows,
            batch: &mut self.batch,
            full: &mut self.full,
        };
        match (piece, row) {
            (Some(piece), _) => sink.take(piece),
            (None, Ok(value)) => sink.take_value(line, &value),
            (None, Err(_)) => {}
        }
        self.write_full().await
    }

    fn split(&mut self, chunk: &[u8], end: bool) {
        let mut sink = Sink {
            columns: &self.archive.columns,
            batch_rows: self.batch_rows,
            batch: &mut self.batch,
            full: &mut self.full,
        };
        let mut take = |piece: Piece<'_>| sink.take(piece);
        match &mut self.splitter {
            Splitter::Ndjson(splitter) => {
                splitter.push(chunk, &mut take);
                if end {
                    splitter.finish(&mut take);
                }
            }
            Splitter::Array(splitter) => {
                splitter.push(chunk, &mut take);
                if end {
                    splitter.finish(&mut take);
                }
            }
            Splitter::Rows => {}
        }
    }

    async fn write_full(&mut self) -> Result<(), StreamDataError> {
        for batch in std::mem::take(&mut self.full) {
            let report = &mut self.report;
            if batch.errors.is_empty() {
                let written = self
                    .service
                    .write_samples(&self.archive, &batch.samples)
                    .await?;
                report.rows_accepted += written;
                report.batches_written += 1;
                continue;
            }
            let rows = batch.rows;
            report.rows_rejected += rows;
            report.batches_rejected += 1;
            report.error_count += batch.errors.len() as u64;
            if report.rejected_batches.len() < MAX_REPORTED_BATCHES {
                report.rejected_batches.push(RejectedBatch {
                    first_line: batch.first_line,
                    last_line: batch.last_line,
                    rows,
                });
            }
            for error in batch.errors {
                if report.errors.len() < MAX_REPORTED_ERRORS {
                    report.errors.push(error);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(format: IngestFormat, chunks: &[&[u8]]) -> Vec<(u64, Result<String, String>)> {
        let mut found = Vec::new();
        let mut take = |piece: Piece<'_>| match piece {
            Piece::Row(line, bytes) => {
                found.push((line, Ok(String::from_utf8_lossy(bytes).into_owned())));
            }
            Piece::BadRow(line, reason) | Piece::Broken(line, reason) => {
                found.push((line, Err(reason)));
            }
        };
        match format {
            IngestFormat::Ndjson => {
                let mut splitter = NdjsonSplitter::default();
                for chunk in chunks {
                    splitter.push(chunk, &mut take);
                }
                splitter.finish(&mut take);
            }
            IngestFormat::JsonArray => {
                let mut splitter = ArraySplitter::new();
                for chunk in chunks {
                    splitter.push(chunk, &mut take);
                }
                splitter.finish(&mut take);
            }
            IngestFormat::Rows => {}
        }
        found
    }

    fn ok(line: u64, text: &str) -> (u64, Result<String, String>) {
        (line, Ok(text.to_owned()))
    }

    #[test]
    fn content_types_choose_the_format() {
        assert_eq!(
            IngestFormat::from_content_type("application/json; charset=utf-8"),
            Some(IngestFormat::JsonArray)
        );
        assert_eq!(
            IngestFormat::from_content_type("Application/X-NDJSON"),
            Some(IngestFormat::Ndjson)
        );
        assert_eq!(IngestFormat::from_content_type("text/csv"), None);
    }

    #[test]
    fn ndjson_lines_are_numbered_across_chunks_and_blank_lines_skipped() {
        let found = rows(
            IngestFormat::Ndjson,
            &[b"{\"a\":1}\n\n{\"b\"", b":2}\r\n  \n{\"c\":3}"],
        );
        assert_eq!(
            found,
            vec![ok(1, "{\"a\":1}"), ok(3, "{\"b\":2}"), ok(5, "{\"c\":3}")]
        );
    }

    #[test]
    fn an_over_long_ndjson_line_is_an_error_and_the_next_line_is_read() {
        let long = vec![b'x'; MAX_ROW_BYTES + 1];
        let found = rows(IngestFormat::Ndjson, &[&long[..10], &long[10..], b"\n{}\n"]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, 1);
        assert!(found[0].1.is_err());
        assert_eq!(found[1], ok(2, "{}"));
    }

    #[test]
    fn array_elements_split_on_top_level_commas_only() {
        let found = rows(
            IngestFormat::JsonArray,
            &[
                b" [\n {\"a\": \"x,]\\\"\"},\n",
                b" {\"b\": [1, 2]} ,\n\n{\"c\":{}}\n]\n",
            ],
        );
        assert_eq!(
            found,
            vec![
                ok(2, "{\"a\": \"x,]\\\"\"}"),
                ok(3, "{\"b\": [1, 2]}"),
                ok(5, "{\"c\":{}}"),
            ]
        );
        assert!(rows(IngestFormat::JsonArray, &[b"[ ]"]).is_empty());
    }

    #[test]
    fn broken_arrays_name_the_line() {
        let open = rows(IngestFormat::JsonArray, &[b"[{\"a\":1},\n{\"b\":2}"]);
        assert_eq!(open[0], ok(1, "{\"a\":1}"));
        // The last row is whole and still checked; then the unclosed array is reported.
        assert_eq!(open[1], ok(2, "{\"b\":2}"));
        assert_eq!(open[2].0, 2);
        assert!(
            open[2]
                .1
                .as_ref()
                .is_err_and(|e| e.contains("ended before")),
            "{open:?}"
        );
        let not_array = rows(IngestFormat::JsonArray, &[b"\n{\"a\":1}"]);
        assert_eq!(not_array.len(), 1);
        assert_eq!(not_array[0].0, 2);
        let trailing = rows(IngestFormat::JsonArray, &[b"[{}] x"]);
        assert!(trailing[1].1.as_ref().is_err_and(|e| e.contains("after")));
        let empty = rows(IngestFormat::JsonArray, &[b""]);
        assert!(empty[0].1.as_ref().is_err_and(|e| e.contains("empty")));
        let double_comma = rows(IngestFormat::JsonArray, &[b"[{},,{}]"]);
        assert!(
            double_comma[1]
                .1
                .as_ref()
                .is_err_and(|e| e.contains("expected a row"))
        );
    }
}
