//! A seeded generator of synthetic XDM-like profiles with experience events, for benchmarks.
//!
//! Every profile has `person`, `homeAddress`, `loyalty`, `consents` and `identityMap`
//! attributes and an `xEvent` list of web and commerce events (see [`generated_schema`]).
//! Each row group is generated from its own random stream, derived from the seed and the row
//! group's index. So the output depends only on the options, and a file can be written one
//! row group at a time with bounded memory.
//!
//! NOTE: equal options give equal files with the `rand` and `rand_xorshift` versions of
//! Cargo.lock. Another `rand` release may map the random stream to ranges differently.

use std::iter::repeat_n;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, ListArray, MapArray, RecordBatch, StringArray,
    StructArray, TimestampMicrosecondArray,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use arrow::error::ArrowError;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use rand::{RngExt, SeedableRng};
use rand_xorshift::XorShiftRng;
use rayon::prelude::*;

use crate::atomic::write_atomically;
use crate::error::IoError;
use crate::xdm::{
    EVENT_COLUMN, ID_COLUMN, IDENTITY_MAP_COLUMN, UTC, identity_fields, identity_map_type, timestamp_type,
};

/// The largest number of events that one generated profile has.
pub const MAX_EVENTS_PER_PROFILE: u32 = 5_000;

/// The end of the generated event history, 2025-01-01T00:00:00Z in microseconds since the Unix
/// epoch. Events fall in the 365 days before it, so definitions evaluated with this time as
/// `now` see the whole history.
pub const GENERATED_UNTIL: i64 = 1_735_689_600_000_000;

/// The length of the generated event history in microseconds: 365 days.
pub const HISTORY_MICROS: i64 = 365 * 86_400 * 1_000_000;

/// The event types and their shares of all events, in per mille.
pub const EVENT_TYPES: [(&str, u32); 5] = [
    ("web.webpagedetails.pageViews", 600),
    ("commerce.productViews", 200),
    ("commerce.productListAdds", 100),
    ("commerce.checkouts", 50),
    ("commerce.purchases", 50),
];

/// The `created_by` value of the output, fixed so that equal options give equal bytes.
const CREATED_BY: &str = "seg-io generate";

/// The number of distinct product SKUs, `SKU-0000` to `SKU-0999`.
const PRODUCT_COUNT: u32 = 1_000;

/// The sigma of the log-normal event counts: the standard deviation of their logarithm.
const EVENT_COUNT_SIGMA: f64 = 1.3;

const FIRST_NAMES: [&str; 16] = [
    "Ada", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kenji", "Lena", "Mateo",
    "Nora", "Omar", "Priya",
];
const LAST_NAMES: [&str; 16] = [
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jensen", "Kim", "Lopez",
    "Martin", "Nowak", "Okafor", "Patel",
];
const GENDERS: [&str; 3] = ["female", "male", "not_specified"];
/// Cities with their ISO 3166 country codes.
const CITIES: [(&str, &str); 12] = [
    ("San Francisco", "US"),
    ("San Diego", "US"),
    ("New York", "US"),
    ("Chicago", "US"),
    ("Toronto", "CA"),
    ("London", "GB"),
    ("Paris", "FR"),
    ("Berlin", "DE"),
    ("Madrid", "ES"),
    ("Tokyo", "JP"),
    ("Sydney", "AU"),
    ("Sao Paulo", "BR"),
];
/// Loyalty tiers with their shares in per mille.
const TIERS: [(&str, u32); 4] = [("bronze", 500), ("silver", 300), ("gold", 150), ("platinum", 50)];
const PAGE_NAMES: [&str; 8] = ["home", "search", "category", "product", "cart", "account", "help", "offers"];

/// How many events each generated profile has.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EventCounts {
    /// A log-normal count with this mean, rounded and capped at [`MAX_EVENTS_PER_PROFILE`]: most
    /// profiles have a few events, about 5 % none, and a long tail has hundreds or thousands.
    Skewed {
        /// The mean number of events per profile, from 0 to 1,000.
        mean: f64,
    },
    /// Exactly this many events per profile, at most [`MAX_EVENTS_PER_PROFILE`].
    Fixed(u32),
}

/// Options of [`generate_profiles`] and [`generate_batch`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GenerateOptions {
    /// The number of profiles to write.
    pub profiles: u64,
    /// The seed of the random streams. Equal options give equal profiles.
    pub seed: u64,
    /// How many events each profile has.
    pub events: EventCounts,
    /// The number of profiles per row group, at least 1.
    pub profiles_per_row_group: usize,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            profiles: 100_000,
            seed: 1,
            events: EventCounts::Skewed { mean: 20.0 },
            profiles_per_row_group: 65_536,
        }
    }
}

impl GenerateOptions {
    /// Checks every option against its range.
    ///
    /// # Errors
    ///
    /// Returns [`IoError::InvalidGenerateOption`] naming the first option out of range.
    pub fn validate(&self) -> Result<(), IoError> {
        if self.profiles_per_row_group == 0 {
            return Err(IoError::InvalidGenerateOption {
                option: "profiles_per_row_group",
                value: "0".to_string(),
                expected: "set at least 1 profile per row group",
            });
        }
        if self.profiles > u64::from(u32::MAX) {
            return Err(IoError::InvalidGenerateOption {
                option: "profiles",
                value: self.profiles.to_string(),
                expected: "set at most 4294967295 profiles, the row numbers that a bitmap holds",
            });
        }
        match self.events {
            EventCounts::Skewed { mean } if !(0.0..=1_000.0).contains(&mean) => {
                Err(IoError::InvalidGenerateOption {
                    option: "mean_events",
                    value: mean.to_string(),
                    expected: "set a mean from 0 to 1000 events per profile",
                })
            }
            EventCounts::Fixed(count) if count > MAX_EVENTS_PER_PROFILE => Err(IoError::InvalidGenerateOption {
                option: "events_per_profile",
                value: count.to_string(),
                expected: "set at most 5000 events per profile",
            }),
            _ => Ok(()),
        }
    }

    /// Returns the number of row groups of the output.
    pub fn row_groups(&self) -> u64 {
        self.profiles.div_ceil(self.profiles_per_row_group as u64)
    }
}

/// Counts of what [`generate_profiles`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenerateSummary {
    /// The number of profiles.
    pub profiles: u64,
    /// The number of events over all profiles.
    pub events: u64,
    /// The number of row groups.
    pub row_groups: u64,
}

/// Returns the schema of generated profiles, already in the normalized form of the readers:
///
/// - `_id` (Utf8, non-null): the profile number with 10 digits, such as `0000000042`.
/// - `person`: `name` (`firstName`, `lastName`), `gender` (Utf8) and `birthYear` (Int64,
///   uniform from 1940 to 2009).
/// - `homeAddress`: `city`, `countryCode` and `postalCode` (Utf8).
/// - `loyalty`: `tier` (bronze, silver, gold, platinum), `points` (Int64, uniform from 0 to
///   99,999) and `joinDate` (timestamp).
/// - `consents`: `marketing.email.val` and `marketing.sms.val` (Utf8, `y` or `n`).
/// - `identityMap`: an `ECID` identity for every profile and an `Email` identity for 60 % of
///   them.
/// - `xEvent`: events in increasing time order. Each has `timestamp`, `eventType` (see
///   [`EVENT_TYPES`]), `web.webPageDetails.name` (page views only), `commerce.order`
///   (`priceTotal` Float64 and `currencyCode` Utf8, purchases only) and `productListItems`
///   (`SKU`, `quantity` Int64 and `priceTotal` Float64). Product views, adds and purchases
///   have one to three items, and other events none.
pub fn generated_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(ID_COLUMN, DataType::Utf8, false),
        Field::new("person", DataType::Struct(person_fields()), true),
        Field::new("homeAddress", DataType::Struct(address_fields()), true),
        Field::new("loyalty", DataType::Struct(loyalty_fields()), true),
        Field::new("consents", DataType::Struct(consents_fields()), true),
        Field::new(IDENTITY_MAP_COLUMN, identity_map_type(identity_fields()), true),
        Field::new(EVENT_COLUMN, DataType::List(Arc::new(event_item_field())), true),
    ]))
}

fn utf8(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn structure(name: &str, fields: Fields) -> Field {
    Field::new(name, DataType::Struct(fields), true)
}

fn person_fields() -> Fields {
    Fields::from(vec![
        structure("name", Fields::from(vec![utf8("firstName"), utf8("lastName")])),
        utf8("gender"),
        Field::new("birthYear", DataType::Int64, true),
    ])
}

fn address_fields() -> Fields {
    Fields::from(vec![utf8("city"), utf8("countryCode"), utf8("postalCode")])
}

fn loyalty_fields() -> Fields {
    Fields::from(vec![
        utf8("tier"),
        Field::new("points", DataType::Int64, true),
        Field::new("joinDate", timestamp_type(), true),
    ])
}

fn consent_value_fields() -> Fields {
    Fields::from(vec![utf8("val")])
}

fn marketing_fields() -> Fields {
    Fields::from(vec![
        structure("email", consent_value_fields()),
        structure("sms", consent_value_fields()),
    ])
}

fn consents_fields() -> Fields {
    Fields::from(vec![structure("marketing", marketing_fields())])
}

fn page_fields() -> Fields {
    Fields::from(vec![utf8("name")])
}

fn web_fields() -> Fields {
    Fields::from(vec![structure("webPageDetails", page_fields())])
}

fn order_fields() -> Fields {
    Fields::from(vec![Field::new("priceTotal", DataType::Float64, true), utf8("currencyCode")])
}

fn commerce_fields() -> Fields {
    Fields::from(vec![structure("order", order_fields())])
}

fn item_fields() -> Fields {
    Fields::from(vec![
        utf8("SKU"),
        Field::new("quantity", DataType::Int64, true),
        Field::new("priceTotal", DataType::Float64, true),
    ])
}

fn item_list_field() -> Field {
    Field::new_list_field(DataType::Struct(item_fields()), true)
}

fn event_fields() -> Fields {
    Fields::from(vec![
        Field::new("timestamp", timestamp_type(), true),
        utf8("eventType"),
        structure("web", web_fields()),
        structure("commerce", commerce_fields()),
        Field::new("productListItems", DataType::List(Arc::new(item_list_field())), true),
    ])
}

fn event_item_field() -> Field {
    Field::new_list_field(DataType::Struct(event_fields()), true)
}

/// Returns the random stream of one row group: a xorshift generator seeded from the seed and the
/// row group index through the SplitMix64 finalizer, so neighbouring indexes get unrelated
/// streams.
fn row_group_rng(seed: u64, row_group: u64) -> XorShiftRng {
    let mut state = seed ^ row_group.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    state = (state ^ (state >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    state = (state ^ (state >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    XorShiftRng::seed_from_u64(state ^ (state >> 31))
}

/// Picks an index from a table of per-mille shares that add up to 1,000.
fn pick_share<T>(rng: &mut XorShiftRng, shares: &[(T, u32)]) -> usize {
    let mut roll = rng.random_range(0..1_000u32);
    for (index, (_, share)) in shares.iter().enumerate() {
        if roll < *share {
            return index;
        }
        roll -= share;
    }
    shares.len() - 1
}

/// Draws the event count of one profile.
fn event_count(rng: &mut XorShiftRng, events: EventCounts) -> u32 {
    match events {
        EventCounts::Fixed(count) => count,
        EventCounts::Skewed { mean } if mean <= 0.0 => 0,
        EventCounts::Skewed { mean } => {
            // A log-normal variable exp(mu + sigma * z) has the mean exp(mu + sigma^2 / 2).
            let mu = mean.ln() - EVENT_COUNT_SIGMA * EVENT_COUNT_SIGMA / 2.0;
            let value = (mu + EVENT_COUNT_SIGMA * standard_normal(rng)).exp().round();
            value.min(f64::from(MAX_EVENTS_PER_PROFILE)) as u32
        }
    }
}

/// Draws a standard normal value with the Box-Muller transform.
fn standard_normal(rng: &mut XorShiftRng) -> f64 {
    let uniform: f64 = 1.0 - rng.random::<f64>();
    let angle: f64 = rng.random::<f64>() * std::f64::consts::TAU;
    (-2.0 * uniform.ln()).sqrt() * angle.cos()
}

/// Draws a product number, skewed so that low numbers are the most popular.
fn product(rng: &mut XorShiftRng) -> u32 {
    let uniform: f64 = rng.random();
    ((uniform * uniform * uniform) * f64::from(PRODUCT_COUNT)) as u32
}

/// Returns the unit price of a product in dollars, from 5.99 to 204.99.
fn unit_price(product: u32) -> f64 {
    f64::from(5 + product * 37 % 200) + 0.99
}

/// The columns of the events of one row group.
#[derive(Default)]
struct EventColumns {
    lengths: Vec<usize>,
    timestamps: Vec<i64>,
    types: Vec<&'static str>,
    page_names: Vec<Option<&'static str>>,
    order_totals: Vec<Option<f64>>,
    item_lengths: Vec<usize>,
    skus: Vec<String>,
    quantities: Vec<i64>,
    item_totals: Vec<f64>,
}

impl EventColumns {
    fn push_profile(&mut self, rng: &mut XorShiftRng, count: u32) {
        self.lengths.push(count as usize);
        let start = self.timestamps.len();
        for _ in 0..count {
            self.timestamps.push(GENERATED_UNTIL - 1 - rng.random_range(0..HISTORY_MICROS));
        }
        self.timestamps[start..].sort_unstable();

        for _ in 0..count {
            let type_index = pick_share(rng, &EVENT_TYPES);
            let event_type = EVENT_TYPES[type_index].0;
            self.types.push(event_type);
            let is_page_view = type_index == 0;
            let is_purchase = event_type == "commerce.purchases";
            let has_items = matches!(
                event_type,
                "commerce.productViews" | "commerce.productListAdds" | "commerce.purchases"
            );
            self.page_names.push(is_page_view.then(|| PAGE_NAMES[rng.random_range(0..PAGE_NAMES.len())]));

            let items = if has_items { rng.random_range(1..=3usize) } else { 0 };
            let mut order_total = 0.0;
            for _ in 0..items {
                let product = product(rng);
                let quantity = rng.random_range(1..=4i64);
                let total = unit_price(product) * quantity as f64;
                self.skus.push(format!("SKU-{product:04}"));
                self.quantities.push(quantity);
                self.item_totals.push(total);
                order_total += total;
            }
            self.item_lengths.push(items);
            self.order_totals.push(is_purchase.then_some(order_total));
        }
    }

    fn into_array(self) -> Result<ArrayRef, ArrowError> {
        let timestamps: ArrayRef =
            Arc::new(TimestampMicrosecondArray::from(self.timestamps).with_timezone(UTC));
        let types: ArrayRef = Arc::new(StringArray::from(self.types));

        let page_names: ArrayRef = Arc::new(StringArray::from(self.page_names));
        let pages = StructArray::try_new(page_fields(), vec![page_names], None)?;
        let web = StructArray::try_new(web_fields(), vec![Arc::new(pages)], None)?;

        let currencies: ArrayRef = Arc::new(StringArray::from(
            self.order_totals.iter().map(|total| total.map(|_| "USD")).collect::<Vec<_>>(),
        ));
        let order_totals: ArrayRef = Arc::new(Float64Array::from(self.order_totals));
        let order = StructArray::try_new(order_fields(), vec![order_totals, currencies], None)?;
        let commerce = StructArray::try_new(commerce_fields(), vec![Arc::new(order)], None)?;

        let items = StructArray::try_new(
            item_fields(),
            vec![
                Arc::new(StringArray::from(self.skus)),
                Arc::new(Int64Array::from(self.quantities)),
                Arc::new(Float64Array::from(self.item_totals)),
            ],
            None,
        )?;
        let item_lists = ListArray::try_new(
            Arc::new(item_list_field()),
            OffsetBuffer::from_lengths(self.item_lengths),
            Arc::new(items),
            None,
        )?;

        let events = StructArray::try_new(
            event_fields(),
            vec![timestamps, types, Arc::new(web), Arc::new(commerce), Arc::new(item_lists)],
            None,
        )?;
        Ok(Arc::new(ListArray::try_new(
            Arc::new(event_item_field()),
            OffsetBuffer::from_lengths(self.lengths),
            Arc::new(events),
            None,
        )?))
    }
}

/// Generates row group `row_group` of the profiles that `options` describes: the profiles from
/// `row_group * options.profiles_per_row_group` up to the next row group or the end.
///
/// The result depends only on `options` and `row_group`, so row groups can be generated in any
/// order or in parallel.
///
/// # Errors
///
/// Returns [`IoError::InvalidGenerateOption`] for options out of range, and
/// [`IoError::Arrow`] only on a bug in the column building.
pub fn generate_batch(options: &GenerateOptions, row_group: u64) -> Result<RecordBatch, IoError> {
    options.validate()?;
    let first = row_group.saturating_mul(options.profiles_per_row_group as u64).min(options.profiles);
    let count = (options.profiles - first).min(options.profiles_per_row_group as u64) as usize;
    let mut rng = row_group_rng(options.seed, row_group);
    build_batch(&mut rng, options.events, first, count).map_err(|source| IoError::Arrow { path: None, source })
}

fn build_batch(rng: &mut XorShiftRng, events: EventCounts, first: u64, count: usize) -> Result<RecordBatch, ArrowError> {
    let ids: Vec<String> = (first..first + count as u64).map(|number| format!("{number:010}")).collect();

    let mut first_names = Vec::with_capacity(count);
    let mut last_names = Vec::with_capacity(count);
    let mut genders = Vec::with_capacity(count);
    let mut birth_years = Vec::with_capacity(count);
    let mut cities = Vec::with_capacity(count);
    let mut countries = Vec::with_capacity(count);
    let mut postal_codes = Vec::with_capacity(count);
    let mut tiers = Vec::with_capacity(count);
    let mut points = Vec::with_capacity(count);
    let mut join_dates = Vec::with_capacity(count);
    let mut email_consents = Vec::with_capacity(count);
    let mut sms_consents = Vec::with_capacity(count);
    let mut has_email = Vec::with_capacity(count);
    let mut event_columns = EventColumns::default();
    for _ in 0..count {
        first_names.push(FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())]);
        last_names.push(LAST_NAMES[rng.random_range(0..LAST_NAMES.len())]);
        genders.push(GENDERS[rng.random_range(0..GENDERS.len())]);
        birth_years.push(rng.random_range(1940..2010i64));
        let (city, country) = CITIES[rng.random_range(0..CITIES.len())];
        cities.push(city);
        countries.push(country);
        postal_codes.push(format!("{:05}", rng.random_range(0..100_000u32)));
        tiers.push(TIERS[pick_share(rng, &TIERS)].0);
        points.push(rng.random_range(0..100_000i64));
        join_dates.push(GENERATED_UNTIL - rng.random_range(0..10 * HISTORY_MICROS));
        email_consents.push(if rng.random_range(0..100u32) < 70 { "y" } else { "n" });
        sms_consents.push(if rng.random_range(0..100u32) < 30 { "y" } else { "n" });
        has_email.push(rng.random_range(0..100u32) < 60);
        let events_of_profile = event_count(rng, events);
        event_columns.push_profile(rng, events_of_profile);
    }

    let schema = generated_schema();
    let name = StructArray::try_new(
        Fields::from(vec![utf8("firstName"), utf8("lastName")]),
        vec![Arc::new(StringArray::from(first_names)), Arc::new(StringArray::from(last_names))],
        None,
    )?;
    let person = StructArray::try_new(
        person_fields(),
        vec![Arc::new(name), Arc::new(StringArray::from(genders)), Arc::new(Int64Array::from(birth_years))],
        None,
    )?;
    let address = StructArray::try_new(
        address_fields(),
        vec![
            Arc::new(StringArray::from(cities)),
            Arc::new(StringArray::from(countries)),
            Arc::new(StringArray::from(postal_codes)),
        ],
        None,
    )?;
    let loyalty = StructArray::try_new(
        loyalty_fields(),
        vec![
            Arc::new(StringArray::from(tiers)),
            Arc::new(Int64Array::from(points)),
            Arc::new(TimestampMicrosecondArray::from(join_dates).with_timezone(UTC)),
        ],
        None,
    )?;
    let consent = |values: Vec<&str>| -> Result<ArrayRef, ArrowError> {
        let value: ArrayRef = Arc::new(StringArray::from(values));
        Ok(Arc::new(StructArray::try_new(consent_value_fields(), vec![value], None)?))
    };
    let marketing = StructArray::try_new(marketing_fields(), vec![consent(email_consents)?, consent(sms_consents)?], None)?;
    let consents = StructArray::try_new(consents_fields(), vec![Arc::new(marketing)], None)?;

    let identity_map = identity_map_array(&ids, &has_email)?;
    let ids: ArrayRef = Arc::new(StringArray::from(ids));
    RecordBatch::try_new(
        schema,
        vec![
            ids,
            Arc::new(person),
            Arc::new(address),
            Arc::new(loyalty),
            Arc::new(consents),
            identity_map,
            event_columns.into_array()?,
        ],
    )
}

/// Builds `identityMap`: `ECID` with one primary identity for every profile, then `Email` with
/// one identity for the profiles where `has_email` is true.
fn identity_map_array(ids: &[String], has_email: &[bool]) -> Result<ArrayRef, ArrowError> {
    let DataType::Map(entries_field, _) = identity_map_type(identity_fields()) else {
        return Err(ArrowError::SchemaError("identity map type is not a map".to_string()));
    };
    let DataType::Struct(entry_fields) = entries_field.data_type() else {
        return Err(ArrowError::SchemaError("identity map entries are not structs".to_string()));
    };
    let DataType::List(identities_field) = entry_fields[1].data_type() else {
        return Err(ArrowError::SchemaError("identity map values are not lists".to_string()));
    };

    let mut keys = Vec::new();
    let mut identity_ids = Vec::new();
    let mut primary = Vec::new();
    let mut entry_lengths = Vec::with_capacity(ids.len());
    for (id, email) in ids.iter().zip(has_email) {
        keys.push("ECID");
        identity_ids.push(format!("ecid-{id}"));
        primary.push(true);
        if *email {
            keys.push("Email");
            identity_ids.push(format!("user{id}@example.com"));
            primary.push(false);
        }
        entry_lengths.push(1 + usize::from(*email));
    }
    let entry_count = keys.len();
    let identities = StructArray::try_new(
        identity_fields(),
        vec![Arc::new(StringArray::from(identity_ids)), Arc::new(BooleanArray::from(primary))],
        None,
    )?;
    let identity_lists = ListArray::try_new(
        identities_field.clone(),
        OffsetBuffer::from_lengths(repeat_n(1, entry_count)),
        Arc::new(identities),
        None,
    )?;
    let entries = StructArray::try_new(
        entry_fields.clone(),
        vec![Arc::new(StringArray::from(keys)), Arc::new(identity_lists)],
        None,
    )?;
    let map = MapArray::try_new(entries_field.clone(), OffsetBuffer::from_lengths(entry_lengths), entries, None, false)?;
    Ok(Arc::new(map))
}

/// Writes the profiles that `options` describes to the Parquet file `output`, one row group at a
/// time, so memory stays bounded by one row group whatever the number of profiles.
///
/// The file is zstd-compressed with column statistics, replaced atomically, and byte-for-byte the
/// same for the same options. `on_row_group` is called after each row group with the number of
/// profiles written so far.
///
/// # Errors
///
/// Returns [`IoError::InvalidGenerateOption`] for options out of range, and [`IoError::File`] or
/// [`IoError::Parquet`] when the file cannot be written.
pub fn generate_profiles(
    options: &GenerateOptions,
    output: &Path,
    mut on_row_group: impl FnMut(u64),
) -> Result<GenerateSummary, IoError> {
    options.validate()?;
    let schema = generated_schema();
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(options.profiles_per_row_group))
        .set_created_by(CREATED_BY.to_string())
        .build();
    let parquet_failure = |source| IoError::Parquet { action: "write", path: output.to_path_buf(), source };

    let mut summary = GenerateSummary { profiles: options.profiles, events: 0, row_groups: options.row_groups() };
    write_atomically(output, |file| {
        let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(properties)).map_err(parquet_failure)?;
        let mut written = 0;
        // Row groups are independent, so a few are generated in parallel while the writer,
        // which encodes and compresses on this thread, takes them in order.
        let chunk = rayon::current_num_threads() as u64;
        let mut first = 0;
        while first < options.row_groups() {
            let last = (first + chunk).min(options.row_groups());
            let batches: Vec<Result<RecordBatch, IoError>> =
                (first..last).into_par_iter().map(|row_group| generate_batch(options, row_group)).collect();
            for batch in batches {
                let batch = batch?;
                summary.events += event_total(&batch);
                written += batch.num_rows() as u64;
                writer.write(&batch).map_err(parquet_failure)?;
                writer.flush().map_err(parquet_failure)?;
                on_row_group(written);
            }
            first = last;
        }
        writer.close().map_err(parquet_failure)?;
        Ok(())
    })?;
    Ok(summary)
}

/// Returns the number of events in a generated batch.
fn event_total(batch: &RecordBatch) -> u64 {
    batch
        .column_by_name(EVENT_COLUMN)
        .and_then(|column| column.as_any().downcast_ref::<ListArray>())
        .map_or(0, |events| events.values().len() as u64)
}
