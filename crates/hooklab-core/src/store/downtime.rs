//! How long Clerk could not reach Hooklab before the tunnel came back: from the end of the
//! previous online stretch (the next state recorded after it — `off` when the app quit,
//! `reconnecting` when the network dropped; when the app was killed and recorded neither, the
//! last request it received) to the latest `online`. Clerk retried what failed
//! meanwhile on its own schedule; what gave up can be recovered from its dashboard.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// A stretch without a public URL, ended by the latest `online` state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Downtime {
    /// Unix ms when the previous online stretch ended.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub from: i64,
    /// Unix ms when the tunnel came back online.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub to: i64,
    /// The public URL differs from the previous stretch's (the Clerk endpoint must be edited).
    pub url_changed: bool,
}

/// The downtime before the latest `online` state, if the tunnel was online before that.
pub fn last_downtime(conn: &Connection) -> rusqlite::Result<Option<Downtime>> {
    let online = |before: i64| {
        conn.prepare_cached(
            "SELECT id, at, url FROM tunnel_states WHERE state = 'online' AND id < ?1 \
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([before], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })
        .optional()
    };
    let Some((latest, back_at, url)) = online(i64::MAX)? else {
        return Ok(None);
    };
    let Some((previous, online_at, previous_url)) = online(latest)? else {
        return Ok(None);
    };
    let (next_at, next_state): (i64, String) = conn
        .prepare_cached("SELECT at, state FROM tunnel_states WHERE id > ?1 ORDER BY id LIMIT 1")?
        .query_row([previous], |r| Ok((r.get(0)?, r.get(1)?)))?;
    // A start (`connecting`) right after an online stretch: the app was killed or crashed and
    // recorded no end. It was last known alive when it last received a request (or came
    // online); the start is only when it came back.
    let ended = if next_state == "connecting" {
        last_received_before(conn, next_at)?.map_or(online_at, |at| at.max(online_at))
    } else {
        next_at
    };
    Ok(Some(Downtime {
        from: ended,
        to: back_at,
        url_changed: previous_url != url,
    }))
}

/// When the last request before `at` (Unix ms) was received: the event just below where `at`
/// falls in the log (a few primary-key reads however many events came after).
fn last_received_before(conn: &Connection, at: i64) -> rusqlite::Result<Option<i64>> {
    let first = super::arrival::first_id_at(conn, at)?;
    conn.prepare_cached("SELECT received_at FROM events WHERE id < ?1 ORDER BY id DESC LIMIT 1")?
        .query_row([first], |r| r.get(0))
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tunnel::record_tunnel_state;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../migrations/0002_tunnel.sql"))
            .unwrap();
        conn.execute_batch(
            "CREATE TABLE changes (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, ref_id INTEGER, \
             ref_key TEXT); \
             CREATE TABLE events (id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL);",
        )
        .unwrap();
        conn
    }

    #[test]
    fn the_last_request_before_a_time_is_found_among_many_with_gaps() {
        let conn = db();
        assert_eq!(
            last_received_before(&conn, 1_000).unwrap(),
            None,
            "no events"
        );
        // Ids with gaps (pruned events), received 10 ms apart.
        for id in (1..=3_000).filter(|id| id % 7 != 0) {
            conn.execute(
                "INSERT INTO events (id, received_at) VALUES (?1, ?2)",
                [id, id * 10],
            )
            .unwrap();
        }
        for (at, want) in [
            (5, None),
            (11, Some(10)),
            (15_005, Some(15_000)),
            (70, Some(60)), // 7 was pruned: 6 is the last before
            (1_000_000, Some(30_000)),
        ] {
            assert_eq!(
                last_received_before(&conn, at).unwrap(),
                want,
                "before {at}"
            );
        }
    }

    #[test]
    fn a_killed_app_was_down_from_the_last_request_it_received() {
        let conn = db();
        let url = Some("https://fox.ngrok-free.app");
        record_tunnel_state(&conn, 1_000, "connecting", None, None).unwrap();
        record_tunnel_state(&conn, 2_000, "online", url, None).unwrap();
        for at in [5_000, 600_000] {
            conn.execute("INSERT INTO events (received_at) VALUES (?1)", [at])
                .unwrap();
        }
        // Killed: no `off`. Two hours later it starts again and gets a request at once.
        record_tunnel_state(&conn, 7_800_000, "connecting", None, None).unwrap();
        conn.execute("INSERT INTO events (received_at) VALUES (?1)", [7_800_500])
            .unwrap();
        record_tunnel_state(&conn, 7_801_000, "online", url, None).unwrap();
        let gap = last_downtime(&conn).unwrap().unwrap();
        assert_eq!((gap.from, gap.to), (600_000, 7_801_000));

        // Killed before any request came: down since it came online.
        record_tunnel_state(&conn, 9_000_000, "connecting", None, None).unwrap();
        record_tunnel_state(&conn, 9_001_000, "online", url, None).unwrap();
        let gap = last_downtime(&conn).unwrap().unwrap();
        assert_eq!((gap.from, gap.to), (7_801_000, 9_001_000));
    }

    #[test]
    fn the_gap_runs_from_the_end_of_the_last_online_stretch_to_the_new_one() {
        let conn = db();
        let url = Some("https://fox.ngrok-free.app");
        record_tunnel_state(&conn, 1_000, "connecting", None, None).unwrap();
        record_tunnel_state(&conn, 2_000, "online", url, None).unwrap();
        assert_eq!(
            last_downtime(&conn).unwrap(),
            None,
            "first time online: no gap"
        );
        record_tunnel_state(&conn, 60_000, "off", None, None).unwrap(); // the app quit
        record_tunnel_state(&conn, 7_260_000, "connecting", None, None).unwrap();
        record_tunnel_state(&conn, 7_261_000, "reconnecting", None, None).unwrap();
        record_tunnel_state(&conn, 7_300_000, "online", url, None).unwrap();
        assert_eq!(
            last_downtime(&conn).unwrap(),
            Some(Downtime {
                from: 60_000,
                to: 7_300_000,
                url_changed: false
            })
        );
        record_tunnel_state(&conn, 7_400_000, "reconnecting", None, None).unwrap();
        record_tunnel_state(
            &conn,
            7_500_000,
            "online",
            Some("https://new.ngrok-free.app"),
            None,
        )
        .unwrap();
        let gap = last_downtime(&conn).unwrap().unwrap();
        assert_eq!(
            (gap.from, gap.to, gap.url_changed),
            (7_400_000, 7_500_000, true)
        );
    }
}
