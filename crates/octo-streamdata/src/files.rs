//! Archive data to and from files (`import_archive_data`, `export_archive_data` and their
//! command-line twins), CSV or NDJSON, streamed page by page so memory stays flat.
//!
//! - CSV: a header row `timestamp,sourceRtId,<column path>…`, then one sample per record;
//!   an empty cell is null. Timestamps are RFC 3339 UTC with microseconds.
//! - NDJSON: one row per line, `{"timestamp", "rtId", "values": {<column path>: value}}`, the
//!   shape ingestion takes.
//!
//! Import goes through [`crate::ingest`]: the same checks, batches of 10 000 rows each written
//! all or nothing, bad rows reported as `Line N: …`. Export reads the archive oldest first in
//! pages of [`EXPORT_PAGE`] samples (a page ends on a timestamp boundary, so the next page starts
//! at that timestamp without losing or repeating a sample).

use std::path::Path;

use octo_ids::TenantId;
use octo_store::{StreamRowsQuery, StreamSelection};
use serde_json::{Map, Value};
use tokio::io::AsyncWriteExt;

use crate::error::StreamDataError;
use crate::ingest::{IngestFormat, IngestReport};
use crate::query::Window;
use crate::sample::{format_timestamp, to_json};
use crate::service::StreamData;

/// Samples read per page while exporting.
pub const EXPORT_PAGE: u32 = 10_000;

/// The layout of an archive data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFileFormat {
    Csv,
    Ndjson,
}

impl ArchiveFileFormat {
    /// `csv` or `ndjson` (any case; `jsonl` and `json` mean NDJSON).
    pub fn parse(name: &str) -> Result<Self, StreamDataError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Self::Csv),
            "ndjson" | "jsonl" | "json" => Ok(Self::Ndjson),
            other => Err(StreamDataError::invalid(format!(
                "Unknown archive file format '{other}': use Csv or Ndjson."
            ))),
        }
    }

    /// The format a file name's extension names; `None` when it names neither.
    #[must_use]
    pub fn from_file_name(name: &str) -> Option<Self> {
        let lower = name.trim().to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(Self::Csv)
        } else if [".ndjson", ".jsonl", ".json"]
            .iter()
            .any(|e| lower.ends_with(e))
        {
            Some(Self::Ndjson)
        } else {
            None
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "Csv",
            Self::Ndjson => "Ndjson",
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportReport {
    pub rows: u64,
    pub bytes: u64,
}

fn io_error(path: &Path, error: &std::io::Error) -> StreamDataError {
    StreamDataError::invalid(format!("Cannot use the file {}: {error}.", path.display()))
}

fn csv_error(error: &csv::Error) -> StreamDataError {
    StreamDataError::invalid(format!("Cannot write the CSV file: {error}."))
}

impl StreamData {
    /// Writes the samples of `archive_rt_id` in `window` (all columns, or `column_paths`) to a
    /// new file at `path`, oldest first.
    pub async fn export_to_file(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
        window: &Window,
        column_paths: Option<&[String]>,
        format: ArchiveFileFormat,
        path: &Path,
    ) -> Result<ExportReport, StreamDataError> {
        let resolved = self.resolve(tenant, archive_rt_id).await?;
        let columns: Vec<usize> = match column_paths {
            None => (0..resolved.columns.len()).collect(),
            Some([]) => (0..resolved.columns.len()).collect(),
            Some(paths) => paths
                .iter()
                .map(|wanted| {
                    resolved
                        .columns
                        .iter()
                        .position(|c| c.resolved.path.eq_ignore_ascii_case(wanted.trim()))
                        .ok_or_else(|| {
                            let valid: Vec<&str> = resolved
                                .columns
                                .iter()
                                .map(|c| c.resolved.path.as_str())
                                .collect();
                            StreamDataError::invalid(format!(
                                "'{wanted}' is not a column of archive '{}'; its columns are {}.",
                                resolved.archive.rt_id(),
                                valid.join(", ")
                            ))
                        })
                })
                .collect::<Result<_, _>>()?,
        };
        let names: Vec<String> = columns
            .iter()
            .map(|i| resolved.columns[*i].resolved.path.clone())
            .collect();
        let mut file = tokio::fs::File::create(path)
            .await
            .map_err(|e| io_error(path, &e))?;
        let mut report = ExportReport { rows: 0, bytes: 0 };
        if format == ArchiveFileFormat::Csv {
            let mut header = vec!["timestamp".to_owned(), "sourceRtId".to_owned()];
            header.extend(names.iter().cloned());
            let bytes = csv_records(std::iter::once(header))?;
            file.write_all(&bytes)
                .await
                .map_err(|e| io_error(path, &e))?;
            report.bytes += bytes.len() as u64;
        }
        let mut from = window.from.map(|t| t.timestamp_micros());
        let to = window.to.map(|t| t.timestamp_micros());
        loop {
            let query = StreamRowsQuery {
                selection: StreamSelection {
                    from,
                    to,
                    ..StreamSelection::default()
                },
                columns: columns.clone(),
                descending: false,
                limit: EXPORT_PAGE,
            };
            let mut page = self.store().query_samples(&resolved.table, &query).await?;
            let full = page.len() == EXPORT_PAGE as usize;
            let mut next = None;
            if full {
                // Keep only whole timestamps: the samples of the last one continue next page.
                let last = page.last().map_or(0, |s| s.time);
                let first = page.first().map_or(0, |s| s.time);
                if first == last {
                    // More samples share one timestamp than a page holds: read them whole.
                    let query = StreamRowsQuery {
                        selection: StreamSelection {
                            from: Some(last),
                            to: Some(last.saturating_add(1)),
                            ..StreamSelection::default()
                        },
                        limit: u32::MAX,
                        ..query
                    };
                    page = self.store().query_samples(&resolved.table, &query).await?;
                    next = Some(last.saturating_add(1));
                } else {
                    page.retain(|s| s.time < last);
                    next = Some(last);
                }
            }
            let bytes = match format {
                ArchiveFileFormat::Csv => csv_records(page.iter().map(|sample| {
                    let mut record = vec![format_timestamp(sample.time), sample.source.clone()];
                    record.extend(sample.values.iter().map(|v| match to_json(v) {
                        Value::Null => String::new(),
                        Value::String(text) => text,
                        other => other.to_string(),
                    }));
                    record
                }))?,
                ArchiveFileFormat::Ndjson => {
                    let mut out = Vec::new();
                    for sample in &page {
                        let values: Map<String, Value> = names
                            .iter()
                            .cloned()
                            .zip(sample.values.iter().map(to_json))
                            .collect();
                        let row = serde_json::json!({
                            "timestamp": format_timestamp(sample.time),
                            "rtId": sample.source,
                            "values": values,
                        });
                        out.extend_from_slice(row.to_string().as_bytes());
                        out.push(b'\n');
                    }
                    out
                }
            };
            file.write_all(&bytes)
                .await
                .map_err(|e| io_error(path, &e))?;
            report.bytes += bytes.len() as u64;
            report.rows += page.len() as u64;
            match next {
                Some(next) => from = Some(next),
                None => break,
            }
        }
        file.flush().await.map_err(|e| io_error(path, &e))?;
        Ok(report)
    }

    /// Reads samples from the file at `path` into `archive_rt_id` (an activated archive),
    /// checked and written in batches as ingestion does; bad rows are reported, not returned.
    pub async fn import_from_file(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
        format: ArchiveFileFormat,
        path: &Path,
    ) -> Result<IngestReport, StreamDataError> {
        match format {
            ArchiveFileFormat::Ndjson => {
                let mut ingestion = self
                    .start_ingestion(tenant, archive_rt_id, IngestFormat::Ndjson)
                    .await?;
                let mut file = tokio::fs::File::open(path)
                    .await
                    .map_err(|e| io_error(path, &e))?;
                let mut buffer = vec![0_u8; 256 * 1024];
                loop {
                    let n = tokio::io::AsyncReadExt::read(&mut file, &mut buffer)
                        .await
                        .map_err(|e| io_error(path, &e))?;
                    if n == 0 {
                        break;
                    }
                    ingestion.feed(&buffer[..n]).await?;
                }
                ingestion.finish().await
            }
            ArchiveFileFormat::Csv => self.import_csv(tenant, archive_rt_id, path).await,
        }
    }

    async fn import_csv(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
        path: &Path,
    ) -> Result<IngestReport, StreamDataError> {
        let mut ingestion = self
            .start_ingestion(tenant, archive_rt_id, IngestFormat::Rows)
            .await?;
        let file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
        // The CSV reader is blocking: it runs on a blocking thread and hands rows over a
        // bounded channel, so at most a few thousand rows are in flight.
        let (sender, mut receiver) =
            tokio::sync::mpsc::channel::<(u64, Result<Value, String>)>(4096);
        let reader = tokio::task::spawn_blocking(move || {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(true)
                .from_reader(std::io::BufReader::new(file));
            let header: Vec<String> = match reader.headers() {
                Ok(header) => header.iter().map(|h| h.trim().to_owned()).collect(),
                Err(error) => {
                    let _ = sender.blocking_send((
                        1,
                        Err(format!("the header row cannot be read ({error})")),
                    ));
                    return;
                }
            };
            let time_at = header
                .iter()
                .position(|h| h.eq_ignore_ascii_case("timestamp"));
            let source_at = header.iter().position(|h| {
                h.eq_ignore_ascii_case("sourceRtId") || h.eq_ignore_ascii_case("rtId")
            });
            let (Some(time_at), Some(source_at)) = (time_at, source_at) else {
                let _ = sender.blocking_send((
                    1,
                    Err(
                        "the header row must name the columns timestamp and sourceRtId, then \
                         the archive's column paths"
                            .to_owned(),
                    ),
                ));
                return;
            };
            for record in reader.records() {
                let (line, row) = match record {
                    Ok(record) => {
                        let line = record.position().map_or(0, csv::Position::line);
                        let mut values = Map::new();
                        for (index, cell) in record.iter().enumerate() {
                            if index == time_at || index == source_at || cell.is_empty() {
                                continue;
                            }
                            let Some(name) = header.get(index) else {
                                continue;
                            };
                            values.insert(name.clone(), Value::from(cell));
                        }
                        let time = record.get(time_at).unwrap_or_default().trim();
                        let time = time
                            .parse::<i64>()
                            .map_or_else(|_| Value::from(time), Value::from);
                        let row = serde_json::json!({
                            "timestamp": time,
                            "rtId": record.get(source_at).unwrap_or_default(),
                            "values": values,
                        });
                        (line, Ok(row))
                    }
                    Err(error) => {
                        let line = error.position().map_or(0, csv::Position::line);
                        (line, Err(format!("not a valid CSV record ({error})")))
                    }
                };
                if sender.blocking_send((line, row)).is_err() {
                    return;
                }
            }
        });
        while let Some((line, row)) = receiver.recv().await {
            ingestion.push_row(line, row).await?;
        }
        reader
            .await
            .map_err(|e| StreamDataError::invalid(format!("Reading the CSV file failed: {e}.")))?;
        ingestion.finish().await
    }
}

/// Records as CSV bytes.
fn csv_records<I>(records: I) -> Result<Vec<u8>, StreamDataError>
where
    I: IntoIterator<Item = Vec<String>>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        writer.write_record(&record).map_err(|e| csv_error(&e))?;
    }
    writer
        .into_inner()
        .map_err(|e| StreamDataError::invalid(format!("Cannot write the CSV file: {e}.")))
}
