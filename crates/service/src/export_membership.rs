//! The `segmentMembership` column of an export: for each exported profile, its memberships in
//! the exported segments, shaped as the profile's `segmentMembership` map
//! `{"ups": {"<segment id>": {"status", "lastQualificationTime"}}}`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, MapBuilder, MapFieldNames, StringArray, StringBuilder, StructArray, StructBuilder};
use arrow::datatypes::{DataType, Field, Fields};

use crate::error::ServiceError;
use crate::membership::{MembershipStatus, ProfileIds, SegmentMemberships, format_micros};

/// The name of the exported column, a field name of XDM profiles.
pub const SEGMENT_MEMBERSHIP_FIELD: &str = "segmentMembership";

/// The namespace of the memberships this workspace computes.
const NAMESPACE: &str = "ups";

fn entry_fields() -> Fields {
    Fields::from(vec![Field::new("status", DataType::Utf8, false), Field::new("lastQualificationTime", DataType::Utf8, false)])
}

fn map_field_names() -> MapFieldNames {
    MapFieldNames { entry: "entries".to_string(), key: "keys".to_string(), value: "values".to_string() }
}

fn map_type() -> DataType {
    let names = map_field_names();
    let entries = Field::new(
        names.entry,
        DataType::Struct(Fields::from(vec![
            Field::new(names.key, DataType::Utf8, false),
            Field::new(names.value, DataType::Struct(entry_fields()), true),
        ])),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}

/// Returns the field of the column: a struct with one map per membership namespace.
pub(crate) fn membership_field() -> Field {
    Field::new(SEGMENT_MEMBERSHIP_FIELD, DataType::Struct(Fields::from(vec![Field::new(NAMESPACE, map_type(), false)])), true)
}

/// Builds the column for profiles with the given ids. Each map lists the segments of
/// `segments` whose selected keys contain the profile.
///
/// # Errors
///
/// Returns [`ServiceError::Evaluation`] when Arrow rejects the built arrays.
pub(crate) fn membership_column(
    ids: &StringArray,
    profile_ids: &ProfileIds,
    segments: &[(SegmentMemberships, roaring::RoaringBitmap)],
) -> Result<ArrayRef, ServiceError> {
    let value_builder = StructBuilder::from_fields(entry_fields(), ids.len());
    let mut maps = MapBuilder::new(Some(map_field_names()), StringBuilder::new(), value_builder);
    for id in ids {
        let key = id.and_then(|id| profile_ids.key(id));
        for (stored, selected) in segments {
            let Some(key) = key.filter(|key| selected.contains(*key)) else { continue };
            let Some((status, time)) = stored.get(key) else { continue };
            maps.keys().append_value(&stored.segment_id);
            let entry = maps.values();
            let status = match status {
                MembershipStatus::Realized => "realized",
                MembershipStatus::Exited => "exited",
            };
            append_text(entry, 0, status);
            append_text(entry, 1, &format_micros(time));
            entry.append(true);
        }
        maps.append(true).map_err(|e| ServiceError::Evaluation(e.to_string()))?;
    }
    let map: ArrayRef = Arc::new(maps.finish());
    let namespace = Field::new(NAMESPACE, map.data_type().clone(), false);
    let column = StructArray::try_new(Fields::from(vec![namespace]), vec![map], None)
        .map_err(|e| ServiceError::Evaluation(e.to_string()))?;
    Ok(Arc::new(column))
}

fn append_text(entry: &mut StructBuilder, index: usize, text: &str) {
    if let Some(builder) = entry.field_builder::<StringBuilder>(index) {
        builder.append_value(text);
    }
}
