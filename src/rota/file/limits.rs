//! What one rota may hold (PURE). Every count, length and span a rota file
//! or an API document can set is bounded, so no input makes building,
//! checking or rendering a rota take unbounded time or memory; a rota
//! over a limit is refused with the field named. README.md lists them.

/// Rota files, included holiday calendars and config files are read up to
/// this size (only regular files are read).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
pub const MAX_LAYERS: usize = 20;
/// Effective-dated versions of one layer.
pub const MAX_ROTATIONS: usize = 50;
/// People in one rotation or follow-the-sun group.
pub const MAX_PARTICIPANTS: usize = 200;
pub const MAX_GROUPS: usize = 12;
pub const MAX_PEOPLE: usize = 2000;
/// Overrides of one rota (in the file and added over the API together).
pub const MAX_OVERRIDES: usize = 10_000;
pub const MAX_SWAPS: usize = 1000;
pub const MAX_RESTRICTIONS: usize = 50;
pub const MAX_HANDOFF_TIMES: usize = 24;
pub const MAX_CRITICAL: usize = 50;
pub const MAX_HOLIDAYS: usize = 2000;
/// Ids and names: team, person ids, layers, roles, rotations, groups.
pub const MAX_NAME: usize = 64;
/// A person's display name.
pub const MAX_DISPLAY_NAME: usize = 200;
/// A note on an override or swap.
pub const MAX_NOTE: usize = 1000;
/// `every` of an `every_hours` rotation: 2 hours to a year.
pub const EVERY_HOURS: std::ops::RangeInclusive<u32> = 2..=8784;
/// `every` of an `every_days` rotation: a day to a year.
pub const EVERY_DAYS: std::ops::RangeInclusive<u32> = 1..=366;
pub const DAYS_PER_PERSON: std::ops::RangeInclusive<u32> = 1..=366;
/// Dates and instants a rota may name.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=2200;
/// The longest window shifts, checks and reports are computed over.
pub const MAX_WINDOW_DAYS: i64 = 800;
