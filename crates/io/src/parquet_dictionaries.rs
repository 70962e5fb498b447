//! Keeping dictionary-encoded Parquet string columns as Arrow dictionaries.
//!
//! Parquet writers store low-cardinality strings, such as event types, as a small dictionary
//! and one integer per value. Expanding them into string arrays costs decoding time and memory
//! bandwidth, and a comparison then reads every string. Read as `Dictionary(Int32, Utf8)`, a
//! comparison tests the few dictionary values once and each row by its key.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema};
use parquet::basic::{Encoding, PageType};
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaData};

use crate::xdm::ID_COLUMN;

/// Returns the dictionary type that string columns are read as.
pub(crate) fn string_dictionary() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// Returns `schema`, the Arrow schema of a Parquet file, with every `Utf8` field replaced by
/// [`string_dictionary`] where the field's column chunk in the first row group has only
/// dictionary-encoded data pages. `_id` and the keys and values of maps stay `Utf8`.
///
/// Returns `None` when no field qualifies, or when the Arrow fields do not line up with the
/// file's leaf columns, so that the caller reads the file as it is.
pub(crate) fn dictionary_schema(schema: &Schema, metadata: &ParquetMetaData) -> Option<Schema> {
    let row_group = metadata.row_groups().first()?;
    let columns = row_group.columns();
    let mut walk = Walk { columns, next_leaf: 0, replaced: 0 };
    let fields: Fields = schema
        .fields()
        .iter()
        .map(|field| {
            let allowed = field.name() != ID_COLUMN;
            walk.field(field, allowed)
        })
        .collect();
    if walk.next_leaf != columns.len() || walk.replaced == 0 {
        return None;
    }
    Some(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// Puts back the dictionaries of `hinted` into `normalized`, its normalized form, which has
/// the same structure with every dictionary expanded to its value type.
pub(crate) fn keep_dictionaries(normalized: &Schema, hinted: &Schema) -> Schema {
    let fields: Fields = normalized
        .fields()
        .iter()
        .zip(hinted.fields())
        .map(|(normalized, hinted)| keep_in_field(normalized, hinted))
        .collect();
    Schema::new_with_metadata(fields, normalized.metadata().clone())
}

fn keep_in_field(normalized: &FieldRef, hinted: &FieldRef) -> FieldRef {
    let data_type = keep_in_type(normalized.data_type(), hinted.data_type());
    if &data_type == normalized.data_type() {
        return normalized.clone();
    }
    Arc::new(normalized.as_ref().clone().with_data_type(data_type))
}

fn keep_in_type(normalized: &DataType, hinted: &DataType) -> DataType {
    match (normalized, hinted) {
        (DataType::Utf8, hinted) if hinted == &string_dictionary() => string_dictionary(),
        (DataType::Struct(normalized), DataType::Struct(hinted)) => DataType::Struct(
            normalized.iter().zip(hinted).map(|(normalized, hinted)| keep_in_field(normalized, hinted)).collect(),
        ),
        (DataType::List(normalized), DataType::List(hinted) | DataType::LargeList(hinted)) => {
            DataType::List(keep_in_field(normalized, hinted))
        }
        _ => normalized.clone(),
    }
}

/// A depth-first walk over Arrow fields in step with the file's leaf columns.
struct Walk<'a> {
    columns: &'a [ColumnChunkMetaData],
    /// The index of the leaf column that the next primitive field reads.
    next_leaf: usize,
    /// The number of fields replaced by dictionaries so far.
    replaced: usize,
}

impl Walk<'_> {
    /// Returns `field` with its qualifying string fields replaced; `allowed` is false inside
    /// `_id` and maps.
    fn field(&mut self, field: &FieldRef, allowed: bool) -> FieldRef {
        let data_type = self.data_type(field.data_type(), allowed);
        if &data_type == field.data_type() {
            return field.clone();
        }
        Arc::new(Field::clone(field).with_data_type(data_type))
    }

    fn data_type(&mut self, data_type: &DataType, allowed: bool) -> DataType {
        match data_type {
            DataType::Struct(fields) => {
                DataType::Struct(fields.iter().map(|field| self.field(field, allowed)).collect())
            }
            DataType::List(item) => DataType::List(self.field(item, allowed)),
            DataType::LargeList(item) => DataType::LargeList(self.field(item, allowed)),
            DataType::FixedSizeList(item, size) => DataType::FixedSizeList(self.field(item, allowed), *size),
            DataType::Map(entries, sorted) => DataType::Map(self.field(entries, false), *sorted),
            other => {
                let leaf = self.next_leaf;
                self.next_leaf += 1;
                let qualifies = allowed
                    && other == &DataType::Utf8
                    && self.columns.get(leaf).is_some_and(only_dictionary_pages);
                if qualifies {
                    self.replaced += 1;
                    string_dictionary()
                } else {
                    other.clone()
                }
            }
        }
    }
}

/// Returns whether every data page of a column chunk is dictionary-encoded, as its page
/// encoding statistics tell. Without statistics it returns false.
fn only_dictionary_pages(column: &ColumnChunkMetaData) -> bool {
    let is_dictionary = |encoding: Encoding| matches!(encoding, Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY);
    if column.dictionary_page_offset().is_none() {
        return false;
    }
    if let Some(mask) = column.page_encoding_stats_mask() {
        return mask.is_only(Encoding::PLAIN_DICTIONARY) || mask.is_only(Encoding::RLE_DICTIONARY);
    }
    match column.page_encoding_stats() {
        Some(stats) => {
            let data_pages: Vec<_> = stats
                .iter()
                .filter(|stats| matches!(stats.page_type, PageType::DATA_PAGE | PageType::DATA_PAGE_V2))
                .collect();
            !data_pages.is_empty() && data_pages.iter().all(|stats| is_dictionary(stats.encoding))
        }
        None => false,
    }
}
