//! Names and Arrow types of the XDM columns that the engine relies on.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, TimeUnit};

/// The profile id column.
pub const ID_COLUMN: &str = "_id";

/// The experience event column, a list of structs.
pub const EVENT_COLUMN: &str = "xEvent";

/// The event field that holds when the event happened.
pub const TIMESTAMP_FIELD: &str = "timestamp";

/// The identity map column, mapping an identity namespace to the profile's ids in it.
pub const IDENTITY_MAP_COLUMN: &str = "identityMap";

/// The time zone of every normalized timestamp.
pub const UTC: &str = "UTC";

/// Returns the type that every timestamp and date is normalized to: microseconds, UTC.
///
/// NOTE: arrow 59 without its `chrono-tz` feature cannot parse the zone name `UTC`, only
/// offsets such as `+00:00`. Kernels that need the zone, such as pretty printing, fail on
/// these columns with "Invalid timezone" unless a crate of the build enables that feature.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into()))
}

/// Returns the fields of one identity in an identity map: `id` (Utf8) and `primary` (Boolean).
pub fn identity_fields() -> Fields {
    Fields::from(vec![Field::new("id", DataType::Utf8, true), Field::new("primary", DataType::Boolean, true)])
}

/// Returns the identity map type `Map<Utf8, List<Struct{identity}>>` for the given identity
/// fields.
///
/// The entries are named `entries`, `key` and `value`, as in the Parquet map convention. The
/// entries and the keys are non-null because Arrow maps require it.
pub fn identity_map_type(identity: Fields) -> DataType {
    let identities = DataType::List(Arc::new(Field::new_list_field(DataType::Struct(identity), true)));
    let entries = Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("value", identities, true),
        ])),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}
