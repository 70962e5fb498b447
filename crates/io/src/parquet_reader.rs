//! Reading Parquet profile files in batches.

use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::sync::mpsc::{Receiver, sync_channel};

use arrow::array::{RecordBatch, RecordBatchReader};
use arrow::datatypes::SchemaRef;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::schema::types::SchemaDescriptor;

use crate::error::IoError;
use crate::normalize::{normalize_batch_to, normalize_schema};
use crate::parquet_dictionaries::{dictionary_schema, keep_dictionaries};
use crate::source::{ProfileReader, ReadOptions};
use crate::validate::validate_profile_schema;
use crate::xdm::ID_COLUMN;

/// The largest row group, in rows, that is decoded ahead of time on another thread. Files with
/// larger row groups are decoded one batch at a time on the calling thread, so that memory use
/// stays bounded by the batch size whatever the writer chose.
const MAX_PREFETCHED_ROW_GROUP: i64 = 262_144;

/// Opens a Parquet file as a [`ProfileReader`] that decodes `options.batch_size` rows at a time.
///
/// With `fields`, only the leaf columns that [`leaves_named_by`] selects are decoded.
///
/// When the file has several row groups of at most [`MAX_PREFETCHED_ROW_GROUP`] rows, a pool of
/// background threads decodes them ahead of the consumer, at most one per rayon thread plus
/// one. Batches still come in file order. Decoding then uses every core and overlaps with the
/// evaluation of earlier batches.
pub(crate) fn open_parquet(
    path: &Path,
    options: &ReadOptions,
    fields: Option<&HashSet<&str>>,
) -> Result<ProfileReader, IoError> {
    let file = File::open(path).map_err(|source| IoError::file("open", path, source))?;
    let parquet_failure = |source| IoError::Parquet { action: "read", path: path.to_path_buf(), source };

    let mut metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).map_err(parquet_failure)?;
    let full_schema = Arc::new(normalize_schema(metadata.schema()));
    validate_profile_schema(&full_schema, path)?;
    let hinted = options
        .keep_string_dictionaries
        .then(|| dictionary_schema(metadata.schema(), metadata.metadata()))
        .flatten();
    if let Some(hinted) = &hinted {
        let hint = ArrowReaderOptions::new().with_schema(Arc::new(hinted.clone()));
        metadata = ArrowReaderMetadata::try_new(metadata.metadata().clone(), hint).map_err(parquet_failure)?;
    }
    let projection = match fields {
        Some(fields) => {
            let leaves = leaves_named_by(metadata.parquet_schema(), fields);
            ProjectionMask::leaves(metadata.parquet_schema(), leaves)
        }
        None => ProjectionMask::all(),
    };
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata.clone())
        .with_projection(projection.clone())
        .with_batch_size(options.batch_size)
        .build()
        .map_err(parquet_failure)?;
    let schema = match (fields, &hinted) {
        (None, None) => full_schema,
        (_, None) => Arc::new(normalize_schema(&reader.schema())),
        (_, Some(_)) => Arc::new(keep_dictionaries(&normalize_schema(&reader.schema()), &reader.schema())),
    };

    let row_groups = metadata.metadata().row_groups();
    let row_group_count = row_groups.len();
    let prefetch = row_group_count > 1
        && row_groups.iter().all(|group| group.num_rows() <= MAX_PREFETCHED_ROW_GROUP)
        && decoders().is_some();
    if prefetch {
        let source = RowGroupSource {
            path: path.to_path_buf(),
            metadata,
            projection,
            batch_size: options.batch_size,
            schema: schema.clone(),
        };
        let batches = PrefetchedRowGroups::new(Arc::new(source), row_group_count);
        return Ok(ProfileReader::new(schema, Box::new(batches), options, Arc::default()));
    }

    let batch_schema = schema.clone();
    let path = path.to_path_buf();
    let batches = reader.map(move |batch| {
        let batch = batch.map_err(|source| IoError::ParquetDecode { path: path.clone(), source })?;
        normalize_batch_to(&batch, &batch_schema, Some(&path))
    });
    Ok(ProfileReader::new(schema, Box::new(batches), options, Arc::default()))
}

/// The file, metadata and projection that every row-group decoding task shares.
struct RowGroupSource {
    path: PathBuf,
    metadata: ArrowReaderMetadata,
    projection: ProjectionMask,
    batch_size: usize,
    schema: SchemaRef,
}

impl RowGroupSource {
    /// Decodes and normalizes the batches of one row group.
    ///
    /// Each call opens the file anew: clones of one `File` share a read position, which
    /// concurrent decoders would move under each other.
    fn decode(&self, row_group: usize) -> Result<Vec<RecordBatch>, IoError> {
        let file = File::open(&self.path).map_err(|source| IoError::file("open", &self.path, source))?;
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.metadata.clone())
            .with_projection(self.projection.clone())
            .with_row_groups(vec![row_group])
            .with_batch_size(self.batch_size)
            .build()
            .map_err(|source| IoError::Parquet { action: "read", path: self.path.clone(), source })?;
        reader
            .map(|batch| {
                let batch = batch.map_err(|source| IoError::ParquetDecode { path: self.path.clone(), source })?;
                normalize_batch_to(&batch, &self.schema, Some(&self.path))
            })
            .collect()
    }
}

/// Returns the thread pool that decodes row groups ahead of time, one thread per thread of the
/// global rayon pool, or `None` when its threads cannot start.
///
/// It is a pool of its own, so a consumer that runs on the global pool and waits for a row
/// group never occupies the thread that would decode it. Its threads live as long as the
/// process, so the allocator's per-thread arenas stay few and are reused by every file.
fn decoders() -> Option<&'static rayon::ThreadPool> {
    static DECODERS: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    DECODERS
        .get_or_init(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(rayon::current_num_threads())
                .thread_name(|index| format!("parquet-decode-{index}"))
                .build()
                .ok()
        })
        .as_ref()
}

/// The batches of a file's row groups in file order, each row group decoded on the decoding
/// pool while earlier ones are consumed.
///
/// At most one row group per rayon thread plus one is decoded or waiting at a time, so memory grows
/// with the thread count and the row group size, not with the file. After an error the
/// iterator ends.
struct PrefetchedRowGroups {
    source: Arc<RowGroupSource>,
    next: usize,
    count: usize,
    window: usize,
    /// The row groups being decoded, in file order, with their numbers.
    pending: VecDeque<(usize, Receiver<Result<Vec<RecordBatch>, IoError>>)>,
    ready: std::vec::IntoIter<RecordBatch>,
    failed: bool,
}

impl PrefetchedRowGroups {
    fn new(source: Arc<RowGroupSource>, count: usize) -> PrefetchedRowGroups {
        let mut row_groups = PrefetchedRowGroups {
            source,
            next: 0,
            count,
            window: rayon::current_num_threads() + 1,
            pending: VecDeque::new(),
            ready: Vec::new().into_iter(),
            failed: false,
        };
        row_groups.fill();
        row_groups
    }

    /// Starts decoding row groups until the window is full or none are left.
    fn fill(&mut self) {
        while self.pending.len() < self.window && self.next < self.count {
            let (sender, receiver) = sync_channel(1);
            let source = Arc::clone(&self.source);
            let row_group = self.next;
            let decode = move || {
                // The receiver is gone when the reader was dropped; the result is not needed.
                drop(sender.send(source.decode(row_group)));
            };
            match decoders() {
                Some(pool) => pool.spawn(decode),
                None => decode(),
            }
            self.pending.push_back((row_group, receiver));
            self.next += 1;
        }
    }
}

impl Iterator for PrefetchedRowGroups {
    type Item = Result<RecordBatch, IoError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(batch) = self.ready.next() {
                return Some(Ok(batch));
            }
            if self.failed {
                return None;
            }
            let (row_group, receiver) = self.pending.pop_front()?;
            self.fill();
            let decoded = receiver.recv().unwrap_or_else(|_| {
                let reason = format!(
                    "the Parquet decoder stopped without a result in row group {row_group}; the file may be corrupt"
                );
                Err(IoError::file("decode", &self.source.path, std::io::Error::other(reason)))
            });
            match decoded {
                Ok(batches) => self.ready = batches.into_iter(),
                Err(error) => {
                    self.failed = true;
                    return Some(Err(error));
                }
            }
        }
    }
}

/// The names that Parquet gives to the levels of lists and maps, which are not field names.
const STRUCTURAL_NAMES: [&str; 7] = ["list", "element", "item", "array", "key_value", "key", "value"];

/// Returns the indexes of the leaf columns that a reader of the fields in `names` needs.
///
/// A leaf is needed when every field name on its path appears in `names`. The levels of lists
/// and maps (such as `list` and `element`) do not count. The `_id` leaf is always needed.
/// When `names` contains every field name down to a struct or list but no leaf below it, its
/// first leaf is needed too, because that leaf's levels carry the nulls and lengths of the
/// struct or list (for `xEvent.count()`, say).
fn leaves_named_by(schema: &SchemaDescriptor, names: &HashSet<&str>) -> Vec<usize> {
    let paths: Vec<Vec<&str>> = schema
        .columns()
        .iter()
        .map(|column| {
            let parts = column.path().parts();
            parts.iter().map(String::as_str).filter(|part| !STRUCTURAL_NAMES.contains(part)).collect()
        })
        .collect();
    let known = |path: &[&str]| path.iter().take_while(|part| names.contains(*part)).count();

    let mut needed: Vec<usize> = (0..paths.len())
        .filter(|&index| {
            let path = &paths[index];
            path.first() == Some(&ID_COLUMN) || known(path) == path.len()
        })
        .collect();

    // Named prefixes, longest first, so a fallback leaf for a nested list also serves the
    // lists and structs around it.
    let mut prefixes: Vec<&[&str]> = paths
        .iter()
        .flat_map(|path| (1..=known(path)).map(move |length| &path[..length]))
        .collect();
    prefixes.sort_by_key(|prefix| std::cmp::Reverse(prefix.len()));
    prefixes.dedup();
    for prefix in prefixes {
        let covered = needed.iter().any(|&index| paths[index].starts_with(prefix));
        if !covered && let Some(first) = paths.iter().position(|path| path.starts_with(prefix)) {
            needed.push(first);
        }
    }
    needed.sort_unstable();
    needed.dedup();
    needed
}
